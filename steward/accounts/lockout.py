"""How django-axes names the account a log-in attempt is for.

allauth calls `authenticate(username=...)` or `authenticate(email=...)`, and axes calls it with
its own `login=`, so without this the same account would be counted under different names
(or none) and never locked out."""

from .queries import get_user_by_login


def lockout_username(request, credentials: dict | None) -> str | None:
    """The account's username, lowercased, when the login names one; else the login as typed."""
    credentials = credentials or {}
    login = (
        credentials.get("login")
        or credentials.get("username")
        or credentials.get("email")
        or (request.POST.get("login") if request is not None else None)
    )
    if not login:
        return None
    user = get_user_by_login(login)
    return (user.username if user is not None else login.strip()).lower()
