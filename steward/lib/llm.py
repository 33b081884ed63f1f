"""An optional language model behind an OpenAI-compatible chat endpoint (llama.cpp server,
vLLM, Ollama, or a hosted service), used only to phrase answers whose facts are already
decided. Off unless STEWARD_LLM_URL is set; any failure means "no answer", never an error.

STEWARD_LLM_URL      the API base, e.g. http://127.0.0.1:8080/v1 (…/chat/completions is added)
STEWARD_LLM_MODEL    the model name the server expects
STEWARD_LLM_API_KEY  sent as a bearer token when set
STEWARD_LLM_TIMEOUT  seconds to wait for an answer (default 10)
"""

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings

log = logging.getLogger(__name__)

MAX_REPLY_CHARS = 6000


def is_configured() -> bool:
    return bool(settings.STEWARD_LLM_URL)


def complete(messages: list[dict], *, max_tokens: int = 600) -> str | None:
    """The model's reply to a chat, or None when it is off, fails, or answers nothing usable."""
    if not is_configured():
        return None
    body = json.dumps(
        {
            "model": settings.STEWARD_LLM_MODEL,
            "messages": messages,
            "temperature": 0.2,
            "max_tokens": max_tokens,
            "stream": False,
        }
    ).encode()
    headers = {"Content-Type": "application/json"}
    if settings.STEWARD_LLM_API_KEY:
        headers["Authorization"] = f"Bearer {settings.STEWARD_LLM_API_KEY}"
    url = settings.STEWARD_LLM_URL.rstrip("/") + "/chat/completions"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=settings.STEWARD_LLM_TIMEOUT) as response:
            data = json.loads(response.read(1_000_000))
        text = data["choices"][0]["message"]["content"]
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.warning("language model at %s gave no answer: %s", url, exc)
        return None
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_REPLY_CHARS:
        return None
    return text.strip()
