"""Email: plain-text messages rendered from templates, sent after the transaction commits."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string


def absolute_url(path: str) -> str:
    return settings.STEWARD_BASE_URL + path


def send_after_commit(recipients: list[str], subject: str, template: str, context: dict) -> None:
    """Send one message to each recipient once the current transaction commits; a
    rolled-back change sends nothing."""
    recipients = sorted({r for r in recipients if r})
    if not recipients:
        return
    body = render_to_string(template, {**context, "base_url": settings.STEWARD_BASE_URL})
    full_subject = f"[Steward] {subject}"

    def send() -> None:
        for recipient in recipients:
            send_mail(full_subject, body, None, [recipient], fail_silently=False)

    transaction.on_commit(send)
