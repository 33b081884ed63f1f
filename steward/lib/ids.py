"""Public identifiers: opaque, URL-safe, unguessable (shaped like MDC's CUIDs)."""

import secrets

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_public_id() -> str:
    """25 characters, starting with a letter: 'c' then 24 random base-36 digits (124 bits)."""
    n = secrets.randbelow(36**24)
    out = []
    for _ in range(24):
        n, digit = divmod(n, 36)
        out.append(_DIGITS[digit])
    return "c" + "".join(out)
