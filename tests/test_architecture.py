"""The package layout is the architecture (docs/ARCHITECTURE.md): dependencies point one way,
interfaces (web, cli) → domain packages → core (settings, conventions, vocabulary, errors, database)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[1] / "server"
CORE = {
    "config",
    "conventions",
    "vocabulary",
    "errors",
    "problems",
    "db",
    "models",
    "migrations",
    "lazy",
    "urls",
    "security",
    "files",
}
# What each package may import besides the core (and itself).
ALLOWED = {
    "catalogue": set(),
    "hallmodel": set(),
    "wayfinding": {"hallmodel"},
    "panoramas": {"hallmodel"},
    "publishing": {"catalogue", "hallmodel", "wayfinding", "panoramas"},
    "demo": {"catalogue"},
    "backup": set(),
    "accounts": set(),
    "kiosks": {"hallmodel", "publishing"},
    "sheets": {"publishing", "catalogue"},
    "jobs": {"panoramas", "publishing"},
    "web": {
        "catalogue",
        "hallmodel",
        "wayfinding",
        "panoramas",
        "publishing",
        "accounts",
        "kiosks",
        "sheets",
        "jobs",
    },
    "cli": {
        "catalogue",
        "hallmodel",
        "wayfinding",
        "panoramas",
        "publishing",
        "demo",
        "backup",
        "accounts",
        "kiosks",
        "jobs",
    },
}


def top_package(path: Path) -> str:
    """The first part below server/ of a module's dotted name ('' for server/__init__.py)."""
    parts = path.relative_to(SERVER).with_suffix("").parts
    return "" if parts == ("__init__",) else parts[0]


def imported_packages(path: Path, source: str | None = None) -> set[str]:
    """The top-level server packages the module at *path* imports (relative or absolute); *source* is its
    text when given, else the file's."""
    # The package the module lives in (for __init__.py, the package itself): what "." means in it.
    module_parts = ["server", *path.relative_to(SERVER).with_suffix("").parts][:-1]
    found = set()
    for node in ast.walk(ast.parse(source if source is not None else path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_parts[: len(module_parts) - (node.level - 1)]
                target = [*base, *(node.module.split(".") if node.module else [])]
                if not node.module:  # from .. import x, y: each name may be a module
                    for alias in node.names:
                        found.add(".".join([*target, alias.name]))
                    continue
            else:
                target = (node.module or "").split(".")
            found.add(".".join(target))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    packages = set()
    for name in found:
        parts = name.split(".")
        if parts[0] == "server" and len(parts) > 1:
            packages.add(parts[1])
    return packages


MODULES = sorted(p for p in SERVER.rglob("*.py") if "versions" not in p.parts)


def test_every_module_belongs_to_a_known_layer():
    unknown = {top_package(p) for p in MODULES} - CORE - set(ALLOWED) - {""}
    assert not unknown, f"modules outside the layers of docs/ARCHITECTURE.md: {unknown}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SERVER)))
def test_dependencies_point_one_way(path):
    own = top_package(path)
    if own == "":
        return  # the app factory composes everything
    allowed = CORE | {own} | (set() if own in CORE else ALLOWED[own])
    bad = imported_packages(path) - allowed
    assert not bad, f"{path.relative_to(SERVER)} ({own or 'core'}) imports {sorted(bad)}"


def test_the_checker_sees_a_violation():
    """The import reader finds relative and absolute imports (so the test above can fail)."""
    assert "wayfinding" not in imported_packages(SERVER / "hallmodel" / "check.py")
    probe = SERVER / "hallmodel" / "probe.py"  # never written: its text is given
    source = "from ..web.api import bp\nfrom server.cli import support\nfrom .. import demo\n"
    assert imported_packages(probe, source) == {"web", "cli", "demo"}


INTERFACE_PACKAGES = ("server/web", "server/cli")
THIRD_PARTY = (
    "flask", "sqlalchemy", "alembic", "numpy", "scipy", "shapely", "trimesh", "jsonschema", "markdown_it",
    "pypinyin", "rapidfuzz", "segno", "simplejpeg", "brotli", "yaml", "PIL", "openpyxl", "click", "werkzeug",
)  # fmt: skip


def test_every_interface_module_imports_first():
    """Each interface module imports in a fresh interpreter on its own (no import cycle that only the
    usual import order hides: test_pages once failed alone because the OpenAPI document was built at import)."""
    root = Path(__file__).resolve().parent.parent
    names = sorted(
        ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        for package in INTERFACE_PACKAGES
        for path in (root / package).rglob("*.py")
    )
    assert len(names) > 10, names
    # One interpreter that loads the third-party libraries once (none of them imports the project), then
    # forks a child per module: each child starts with no project module loaded, as a fresh interpreter does.
    program = (
        "import importlib, os, sys, traceback\n"
        f"for lib in {THIRD_PARTY!r}:\n"
        "    try: importlib.import_module(lib)\n"
        "    except ImportError: pass\n"
        "assert not [m for m in sys.modules if m == 'server' or m.startswith('server.')]\n"
        "bad = []\n"
        "for name in sys.argv[1:]:\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        try: importlib.import_module(name)\n"
        "        except BaseException: traceback.print_exc(); os._exit(1)\n"
        "        os._exit(0)\n"
        "    if os.waitpid(pid, 0)[1]: bad.append(name)\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", program, *names], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"these modules fail when imported first: {result.stdout}"
