import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from .context import client_ip
from .models import AuditChainHead, AuditEvent

GENESIS = "0" * 64
SECRET_KEYS = {"password", "secret", "key", "token", "api_key"}


def _mask(data: dict[str, Any]) -> dict[str, Any]:
    return {k: ("***" if k.lower() in SECRET_KEYS else v) for k, v in data.items()}


def _digest(fields: dict[str, Any]) -> str:
    canonical = json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _content(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "created_at": event.created_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "target_label": event.target_label,
        "organization_id": event.organization_id,
        "ip": event.ip,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    user = getattr(actor, "user", None)
    if user is not None and hasattr(actor, "prefix"):
        return f"{user.username} (key {actor.prefix})"
    return getattr(actor, "username", None) or str(actor)


def record(
    *,
    actor,
    action: str,
    target=None,
    organization_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Call inside the transaction of the change it records.

    `actor` is a User, an ApiKey or None for the system."""
    user = getattr(actor, "user", actor) if actor is not None else None
    with transaction.atomic():
        # The head row lock orders all appends; SQLite serializes writers anyway.
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            seq=head.last_seq + 1,
            created_at=timezone.now(),
            actor=user if getattr(user, "pk", None) else None,
            actor_label=actor_label(actor),
            action=action,
            target_type=target._meta.label_lower if target is not None else "",
            target_id=str(getattr(target, "public_id", None) or getattr(target, "pk", ""))
            if target is not None
            else "",
            target_label=str(target)[:300] if target is not None else "",
            organization_id=organization_id,
            ip=client_ip.get(),
            data=_mask(data or {}),
            prev_hash=head.last_hash,
        )
        event.hash = _digest(_content(event))
        event.save()
        head.last_seq, head.last_hash = event.seq, event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None


def verify_chain() -> VerifyResult:
    """Walk the whole chain; name the first event that was changed, removed or inserted."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        # JSON round trips may reorder keys; the digest is over canonical JSON, so no matter.
        if event.seq != expected_seq:
            return VerifyResult(
                False,
                checked,
                f"event #{expected_seq} is missing (next is #{event.seq})",
                expected_seq,
            )
        if event.prev_hash != expected_prev:
            return VerifyResult(
                False, checked, f"event #{event.seq} does not follow the event before it", event.seq
            )
        if _digest(_content(event)) != event.hash:
            return VerifyResult(
                False, checked, f"event #{event.seq} was changed after it was recorded", event.seq
            )
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq, head.last_hash) != (expected_seq - 1, expected_prev):
        return VerifyResult(
            False,
            checked,
            f"the newest events after #{expected_seq - 1} were removed",
            expected_seq,
        )
    return VerifyResult(True, checked)
