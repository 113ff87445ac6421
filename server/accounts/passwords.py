"""Password hashing (scrypt from the standard library) and strength rules.

scrypt rather than argon2: it is memory-hard like argon2, comes with Python's ``hashlib`` (OpenSSL), so
there is no extra compiled dependency to keep up to date. A hash is a self-describing string
``scrypt$n=<N>,r=<r>,p=<p>$<salt, base64>$<key, base64>``: verifying reads the parameters from the hash,
and :func:`needs_rehash` tells when the configured ones differ (the caller rehashes on the next sign-in).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from functools import cache
from importlib import resources

from . import AccountError

DEFAULT_N = 2**15  # CPU/memory cost: 32 MiB and ~0.1 s per hash here
R, P = 8, 1
SALT_BYTES, KEY_BYTES = 16, 32
MAX_LENGTH = 1024  # longer input is refused before hashing (a cheap way to tie up a worker otherwise)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * r * n + 2**20, dklen=KEY_BYTES
    )


def hash_password(password: str, *, n: int = DEFAULT_N) -> str:
    """The storable hash of *password*, with a fresh random salt and cost *n* (a power of two)."""
    salt = secrets.token_bytes(SALT_BYTES)
    return f"scrypt$n={n},r={R},p={P}${_b64(salt)}${_b64(_derive(password, salt, n, R, P))}"


_FORMAT = re.compile(r"^scrypt\$n=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$")


def verify_password(password: str, stored: str) -> bool:
    """Whether *password* matches the hash *stored* (compared in constant time); False for a bad hash."""
    match = _FORMAT.match(stored or "")
    if match is None or len(password) > MAX_LENGTH:
        return False
    n, r, p = (int(match.group(i)) for i in (1, 2, 3))
    key = _derive(password, _unb64(match.group(4)), n, r, p)
    return hmac.compare_digest(key, _unb64(match.group(5)))


def needs_rehash(stored: str, *, n: int = DEFAULT_N) -> bool:
    """Whether *stored* was made with other parameters than the current ones."""
    return not stored.startswith(f"scrypt$n={n},r={R},p={P}$")


@cache
def dummy_hash(n: int) -> str:
    """A hash of a random password, verified for unknown user names so they cost the same work."""
    return hash_password(secrets.token_urlsafe(16), n=n)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of passwords too common to allow (lower case)."""
    text = resources.files(__package__).joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _weak(code: str, zh: str, en: str) -> AccountError:
    return AccountError(code, f"密码不可用：{zh}", f"Password refused: {en}", details={"field": "password"})


def check_strength(password: str, *, user_name: str, min_length: int) -> None:
    """Refuse (AccountError) a password that is too short or long, common, or like the user name."""
    if len(password) < min_length:
        raise _weak(
            "password_too_short", f"至少需要 {min_length} 个字符", f"use at least {min_length} characters"
        )
    if len(password) > MAX_LENGTH:
        raise _weak("password_too_long", f"最多 {MAX_LENGTH} 个字符", f"use at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) <= 2:
        raise _weak("password_common", "这是常见密码，很容易被猜中", "it is a common password, easy to guess")
    # The name itself, reversed, or with only digits/symbols added around it (zhangsan2024!).
    name = user_name.lower()
    core = re.sub(r"^[\d\W_]+|[\d\W_]+$", "", lowered)
    if name and ((name in lowered and len(lowered) - len(name) < 6) or core in (name, name[::-1])):
        raise _weak(
            "password_like_name", "与用户名相同或相近", "it is the same as, or close to, the user name"
        )
