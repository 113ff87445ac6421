"""Staff accounts: users and roles, password hashing and strength, server-side sessions, failed sign-in
throttling. Everything is kept in the database, so several server processes and machines agree.

Times are aware UTC datetimes passed in by the caller (the web layer reads ``config.now()``), settings are
passed as arguments: this package reads neither the clock nor the app config itself. See
docs/ARCHITECTURE.md (domain layer).
"""

from ..problems import HallError


class AccountError(HallError):
    """A staff-account problem told to a person (bad name, weak password, unknown user or hall …)."""
