from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from steward.lib.htmx import is_htmx

from . import assistant


def _history(data) -> list[dict]:
    """The conversation so far, as the page sends it back: pairs of hidden fields."""
    roles, contents = data.getlist("role"), data.getlist("content")
    return [{"role": r, "content": c} for r, c in zip(roles, contents, strict=False)]


@require_http_methods(["GET", "POST"])
def assistant_chat(request: HttpRequest) -> HttpResponse:
    """The discovery assistant as a page: the conversation travels in the form, so the
    server keeps nothing between turns."""
    history: list[dict] = []
    result = None
    error = ""
    message = ""
    signed_in = request.user.is_authenticated
    context = {"country": request.user.country if signed_in else "", "purpose": ""}
    if request.method == "POST":
        history = _history(request.POST)
        message = request.POST.get("message", "").strip()
        context = {
            "country": request.POST.get("country", "").strip().upper(),
            "purpose": request.POST.get("purpose", ""),
        }
        if not message:
            error = _("Write what data you are looking for.")
        else:
            conversation = [*history, {"role": "user", "content": message}]
            try:
                result = assistant.answer(
                    conversation,
                    context={k: v for k, v in context.items() if v},
                    user=request.user,
                )
            except assistant.AssistantError as exc:
                error = exc.message
            else:
                history = [*conversation, {"role": "assistant", "content": result.reply}]
                message = ""
    page = {
        "history": history,
        "result": result,
        "error": error,
        "message": message,
        "context": context,
        "purposes": assistant.PURPOSE_CHOICES,
    }
    template = "search/assistant.html"
    if is_htmx(request):
        template += "#conversation"
    return render(request, template, page, status=400 if error else 200)
