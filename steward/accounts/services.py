import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from steward.lib.errors import DomainError, from_validation_error

from .models import ApiKey, User

KEY_PREFIX = "stw_"
# last_used_at is a hint for people, not an audit trail: refresh it at most this often
# so that every API call does not turn into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class AccountError(DomainError):
    """Codes: username_taken, email_taken, invalid_username, unknown_user."""


def create_user(
    username: str,
    *,
    email: str,
    password: str | None = None,
    is_staff: bool = False,
    full_name: str = "",
) -> User:
    """Create an active user; the username and email must be free."""
    username = username.strip()
    email = email.strip().lower()
    if not username or len(username) > 150:
        raise AccountError(
            "A username of 1 to 150 characters is required.",
            code="invalid_username",
            field="username",
        )
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise AccountError(
                f"The username {username!r} is taken.", code="username_taken", field="username"
            )
        if User.objects.filter(email__iexact=email).exists():
            raise AccountError(
                f"The email {email!r} is already registered.", code="email_taken", field="email"
            )
        user = User(username=username, email=email, is_staff=is_staff, full_name=full_name)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as exc:
            raise from_validation_error(exc, AccountError) from None
        user.save()
    return user


def get_user(username: str) -> User:
    try:
        return User.objects.get(username__iexact=username.strip())
    except User.DoesNotExist:
        raise AccountError(
            f"No user named {username!r}.", code="unknown_user", field="username"
        ) from None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(user: User, *, name: str = "") -> tuple[ApiKey, str]:
    """Create a key for `user`; returns the row and the secret, which is never stored."""
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    api_key = ApiKey.objects.create(
        user=user, name=name[:100], prefix=prefix, key_hash=hash_key(secret)
    )
    return api_key, secret


def revoke_api_key(api_key: ApiKey) -> ApiKey:
    """Revoke the key; a revoked key never authenticates again."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
    return api_key


def authenticate_api_key(secret: str) -> ApiKey | None:
    """The active key matching `secret` (with its user), or None."""
    if not secret.startswith(KEY_PREFIX):
        return None
    api_key = (
        ApiKey.objects.select_related("user")
        .filter(key_hash=hash_key(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if api_key is None:
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
