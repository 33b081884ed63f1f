from django.http import HttpRequest
from ninja import Router, Schema

from steward.accounts.auth import ApiKeyAuth, BrowserSessionAuth
from steward.catalog.schemas import ErrorOut
from steward.lib.http import json_body

from . import assistant

router = Router(tags=["assistant"])


def _anyone_without_a_key(request: HttpRequest):
    """Anyone may ask; a request that sends a key must send a valid one (ApiKeyAuth)."""
    return "authorization" not in request.headers


class AssistantAccess(Schema):
    action: str
    text: str
    priceCents: int | None
    currency: str | None
    url: str


class AssistantDataset(Schema):
    id: str
    slug: str
    name: str
    reason: str
    access: AssistantAccess


class AssistantReply(Schema):
    reply: str
    datasets: list[AssistantDataset]


@router.post(
    "/chat",
    response={200: AssistantReply, 400: ErrorOut},
    auth=[ApiKeyAuth(), BrowserSessionAuth(), _anyone_without_a_key],
    summary="Ask the discovery assistant",
)
def chat(request: HttpRequest):
    """`{"messages": [{"role": "user"|"assistant", "content": ...}], "context": {"country",
    "purpose", "organizationType"}}` → `{"reply", "datasets": [{"id", "slug", "name",
    "reason", "access"}]}`, best first. The client keeps the conversation and sends all of
    it each time; a signed-in user's profile fills what the context leaves out."""
    body = json_body(request)
    # The key's user, or the session's; None for anyone else (request.auth is then True).
    auth = request.auth
    user = None if auth is True else getattr(auth, "user", auth)
    result = assistant.answer(body.get("messages"), context=body.get("context"), user=user)
    return result.as_json()
