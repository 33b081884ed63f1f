import hashlib
import secrets
from datetime import timedelta

import pycountry
from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from steward.audit.services import record
from steward.lib.errors import DomainError, from_validation_error

from .models import ApiKey, User

KEY_PREFIX = "stw_"
# last_used_at is a hint for people, not an audit trail: refresh it at most this often
# so that every API call does not turn into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class AccountError(DomainError):
    """Codes: username_taken, email_taken, invalid_username, unknown_user, invalid_country,
    invalid."""


def _check_country(country: str) -> None:
    if not country:
        return
    # pycountry ignores case; the stored code must be the canonical upper-case one.
    found = pycountry.countries.get(alpha_2=country)
    if found is None or found.alpha_2 != country:
        raise AccountError(
            _("Choose a country from the list."), code="invalid_country", field="country"
        )


def create_user(
    username: str,
    *,
    email: str,
    password: str | None = None,
    is_staff: bool = False,
    full_name: str = "",
    country: str = "",
    organization_type: str = "",
    email_verified: bool = True,
) -> User:
    """Create an active user; the username and email must be free.

    An operator creating an account (CLI, demo) vouches for the address, so it counts as
    verified; sign-up passes `email_verified=False` and allauth then asks for confirmation."""
    username = username.strip()
    email = email.strip().lower()
    if not username or len(username) > 150:
        raise AccountError(
            _("A username of 1 to 150 characters is required."),
            code="invalid_username",
            field="username",
        )
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise AccountError(
                _("The username %(username)r is taken.") % {"username": username},
                code="username_taken",
                field="username",
            )
        if User.objects.filter(email__iexact=email).exists():
            raise AccountError(
                _("The email %(email)r is already registered.") % {"email": email},
                code="email_taken",
                field="email",
            )
        _check_country(country)
        user = User(
            username=username,
            email=email,
            is_staff=is_staff,
            full_name=full_name,
            country=country,
            organization_type=organization_type,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as exc:
            raise from_validation_error(exc, AccountError) from None
        user.save()
        if email_verified:
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def sign_up_user(
    username: str,
    *,
    email: str,
    password: str,
    full_name: str,
    country: str,
    organization_type: str,
) -> User:
    """Create the account of someone signing up; their email address is not verified yet."""
    with transaction.atomic():
        user = create_user(
            username,
            email=email,
            password=password,
            full_name=full_name,
            country=country,
            organization_type=organization_type,
            email_verified=False,
        )
        record(
            actor=user,
            action="accounts.user.signed_up",
            target=user,
            data={"country": country, "organization_type": organization_type},
        )
    return user


def update_profile(
    user: User, *, actor: User, full_name: str, country: str, organization_type: str
) -> User:
    """Save the profile fields of `user`; the country must be an ISO 3166 alpha-2 code."""
    with transaction.atomic():
        _check_country(country)
        user = User.objects.select_for_update().get(pk=user.pk)
        changes = {
            field: value
            for field, value in [
                ("full_name", full_name.strip()),
                ("country", country),
                ("organization_type", organization_type),
            ]
            if getattr(user, field) != value
        }
        if not changes:
            return user
        for field, value in changes.items():
            setattr(user, field, value)
        try:
            user.clean_fields(exclude=[f.name for f in User._meta.fields if f.name not in changes])
        except ValidationError as exc:
            raise from_validation_error(exc, AccountError) from None
        user.save(update_fields=list(changes))
        record(actor=actor, action="accounts.user.updated", target=user, data=changes)
    return user


def get_user(username: str) -> User:
    try:
        return User.objects.get(username__iexact=username.strip())
    except User.DoesNotExist:
        raise AccountError(
            _("No user named %(username)r.") % {"username": username},
            code="unknown_user",
            field="username",
        ) from None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(user: User, *, name: str = "", actor: User | None = None) -> tuple[ApiKey, str]:
    """Create a key for `user`; returns the row and the secret, which is never stored.

    `actor` None means an operator on the command line (the system)."""
    prefix = secrets.token_hex(4)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            user=user, name=name.strip()[:100], prefix=prefix, key_hash=hash_key(secret)
        )
        record(
            actor=actor,
            action="accounts.apikey.created",
            target=api_key,
            data={"prefix": prefix, "name": api_key.name, "user": user.username},
        )
    return api_key, secret


def revoke_api_key(api_key: ApiKey, *, actor: User | None = None) -> ApiKey:
    """Revoke the key; a revoked key never authenticates again. Revoking twice is a no-op."""
    with transaction.atomic():
        api_key = (
            ApiKey.objects.select_for_update(of=("self",)).select_related("user").get(pk=api_key.pk)
        )
        if api_key.revoked_at is not None:
            return api_key
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        record(
            actor=actor,
            action="accounts.apikey.revoked",
            target=api_key,
            data={"prefix": api_key.prefix, "name": api_key.name, "user": api_key.user.username},
        )
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
