"""Public identifiers: opaque, URL-safe, unguessable (shaped like MDC's CUIDs)."""

import secrets
import string

_ALPHABET = string.ascii_lowercase + string.digits


def new_public_id() -> str:
    """25 characters, starting with a letter: 'c' then 24 random base-36 characters."""
    return "c" + "".join(secrets.choice(_ALPHABET) for _ in range(24))
