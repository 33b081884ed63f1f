from django.db.models import Q

from .models import User


def get_user_by_login(login: str) -> User | None:
    """The user whose username or email address is `login`, in any case; None if nobody's."""
    login = login.strip()
    if not login:
        return None
    return User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login)).first()
