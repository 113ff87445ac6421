"""Kiosks: the touch screens standing in a hall, registered by staff (``registry``: check, add, change,
remove, list). Positions are plan ``(x, z)`` in model-space metres and facings bearings (``conventions``);
the hall's geometry, when it has a published model, is passed in by the caller. See docs/ARCHITECTURE.md
(domain layer).
"""

from ..problems import HallError


class KioskError(HallError):
    """A kiosk that cannot be registered or found, told in zh-CN and English (400 unless said otherwise)."""
