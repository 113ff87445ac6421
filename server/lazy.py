"""Made on first use: so that starting the application — a command line asked for ``--help``, a batch job
over one file — imports only what it needs, not the web layer, the database engine and every cache.

``LazyFlask`` runs its deferred set-up steps (registering the blueprints) the first time anything uses its
URL map: every request, ``url_for`` and ``flask routes`` do, and all of them before Flask's first request
ends set-up. ``LazyExtensions`` (its ``app.extensions``) builds an entry from its factory the first time the
entry is looked up. After that both are a plain attribute and a plain dict look-up. See
docs/ARCHITECTURE.md (the app factory composes everything).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask
from werkzeug.routing import Map

Factory = Callable[[], Any] | str  # a callable, or "package.module:Name" to import and call


def _resolve(factory: Factory) -> Callable[[], Any]:
    """The callable that *factory* names: itself, or the attribute imported from ``"module:attribute"``."""
    if callable(factory):
        return factory
    module, _, name = factory.partition(":")
    return getattr(importlib.import_module(module), name)


class LazyExtensions(dict):
    """``app.extensions`` whose entries may be added as factories, each called once, on first look-up.

    ``extensions["x"]``, ``"x" in extensions`` and ``extensions.get("x")`` see an entry that is still only a
    factory; the first of them that needs the value builds it (once, whatever the threads do).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._factories: dict[str, Factory] = {}
        self._lock = threading.RLock()  # re-entrant: one factory may look up another entry

    def add(self, name: str, factory: Factory) -> None:
        """Make *name* an entry built by *factory* (callable, or ``"module:Name"``) when first looked up."""
        with self._lock:
            self._factories[name] = factory
            dict.pop(self, name, None)

    def __missing__(self, name: str) -> Any:
        if name not in self._factories:
            raise KeyError(name)
        with self._lock:
            if not dict.__contains__(self, name):  # another thread may have built it meanwhile
                dict.__setitem__(self, name, _resolve(self._factories[name])())
            return dict.__getitem__(self, name)

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or name in self._factories

    def get(self, name: str, default: Any = None) -> Any:
        """The entry *name* (built now if it is still a factory), or *default*."""
        return self[name] if name in self else default  # noqa: SIM401  (self.get would recurse)


def add_extension(app: Flask, name: str, factory: Factory) -> None:
    """Register ``app.extensions[name]``: built on first use where the app is lazy, now otherwise."""
    if isinstance(app.extensions, LazyExtensions):
        app.extensions.add(name, factory)
    else:
        app.extensions[name] = _resolve(factory)()


class LazyFlask(Flask):
    """A Flask application whose deferred set-up steps run on first use of its URL map."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pending: list[Callable[[], None]] = []
        self._setup_lock = threading.RLock()
        self._in_setup = False
        super().__init__(*args, **kwargs)
        self.extensions = LazyExtensions(self.extensions)

    def defer(self, step: Callable[[], None]) -> None:
        """Run *step* (which may add routes and blueprints) when the URL map is first used."""
        self._pending.append(step)

    def finish_setup(self) -> None:
        """Run the deferred steps now (a server about to take requests), once."""
        if not self._pending:
            return
        with self._setup_lock:  # other threads wait here until the map is complete
            if self._in_setup:  # this thread's own steps use the map: let them
                return
            self._in_setup = True
            try:
                while self._pending:
                    self._pending[0]()
                    # Dropped only once done, so another thread never sees an empty list too early.
                    self._pending.pop(0)
            finally:
                self._in_setup = False

    @property
    def url_map(self) -> Map:  # type: ignore[override]
        """The URL map, complete: the deferred steps have run."""
        self.finish_setup()
        return self._url_map

    @url_map.setter
    def url_map(self, value: Map) -> None:
        self._url_map = value
