from django.http import HttpRequest
from ninja import Router, Schema

from steward.accounts.auth import ApiKeyAuth, BrowserSessionAuth, anyone_without_a_key
from steward.catalog.schemas import ErrorOut
from steward.lib.http import json_body, json_body_doc

from . import assistant

router = Router(tags=["assistant"])


# Added to the key and the session in the schema: no credentials at all will do too.
ANYONE = {"security": [{}]}


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
    auth=[ApiKeyAuth(), BrowserSessionAuth(), anyone_without_a_key],
    summary="Ask the discovery assistant",
    openapi_extra=ANYONE
    | json_body_doc(
        {
            "messages": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "role": {"type": "string", "enum": ["user", "assistant"]},
                        "content": {"type": "string"},
                    },
                    "required": ["role", "content"],
                },
            },
            "context": {
                "type": ["object", "null"],
                "properties": {
                    "country": {"type": ["string", "null"]},
                    "purpose": {"type": ["string", "null"]},
                    "organizationType": {"type": ["string", "null"]},
                },
            },
        },
        required=("messages",),
    ),
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
