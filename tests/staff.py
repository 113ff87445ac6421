"""Helpers for the staff-side tests: an app with a settable clock and cheap password hashing, its users,
and signing in through the JSON API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import make_app

PASSWORD = "Gui-gang-counter-77"  # long enough, not common, not like any name below
USERS = {  # name: (role, halls)
    "boss": ("admin", ()),
    "editor.gg": ("editor", ("guigang",)),
    "editor.pn": ("editor", ("pingnan",)),
    "looker": ("viewer", ()),
}
START = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


class Clock:
    """The app's CLOCK: stands still until moved."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def staff_app(folder: Path, clock: Clock, **config):
    """A demo app (no models) with the staff USERS created through the command line."""
    app = make_app(folder, CLOCK=clock, PASSWORD_SCRYPT_N=2**10, **config)
    create_users(app, USERS)
    return app


def create_users(app, users: dict[str, tuple[str, tuple[str, ...]]]) -> None:
    """Create each user ``name: (role, halls)`` with PASSWORD through the command line, as staff would."""
    runner = app.test_cli_runner()
    for name, (role, halls) in users.items():
        args = ["user", "create", name, "--role", role, "--password-stdin"]
        for hall in halls:
            args += ["--hall", hall]
        result = runner.invoke(args=args, input=PASSWORD + "\n")
        assert result.exit_code == 0, result.output


def sign_in(client, name: str, password: str = PASSWORD, address: str = "127.0.0.1"):
    """Sign in through the JSON API; the response (its JSON has the CSRF token)."""
    return client.post(
        "/api/v1/admin/session",
        json={"username": name, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def signed_in(app, name: str, *, csrf: bool = True):
    """A test client of *app* signed in as *name*, sending the CSRF token on every request (unless not *csrf*)."""
    client = app.test_client()
    token = sign_in(client, name).get_json()["csrf_token"]
    if csrf:
        client.environ_base["HTTP_X_CSRF_TOKEN"] = token
    return client
