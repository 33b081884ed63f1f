from django.http import HttpRequest
from ninja import Router

from .schemas import MeOut

router = Router(tags=["account"])


@router.get("", response=MeOut, summary="The account the API key belongs to")
def get_me(request: HttpRequest):
    """The key's owner and the organizations they belong to, with their role in each."""
    user = request.auth.user
    memberships = user.memberships.select_related("organization").order_by("organization__name")
    return {
        "username": user.username,
        "email": user.email,
        "organizations": [
            {"slug": m.organization.slug, "name": m.organization.name, "role": m.role}
            for m in memberships
        ],
    }
