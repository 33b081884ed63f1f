from django.db import transaction
from django.utils.translation import gettext, ngettext

from steward.lib.countries import country_name
from steward.lib.money import format_money
from steward.organizations.models import Organization

from . import engine
from .describe import describe
from .document import stored_document
from .models import PolicyVersion, UsagePolicy


def terms_text(policy: engine.Policy) -> list[str]:
    """A policy in plain sentences in the reader's language, countries and prices included."""
    return describe(
        policy, country_name=country_name, gettext=gettext, ngettext=ngettext, money=format_money
    )


def decision_text(decision: engine.Decision) -> str:
    """A decision's reasons in the reader's language, countries and prices included."""
    return decision.text(gettext, country_name=country_name, money=format_money)


def set_terms(
    policy: UsagePolicy | None, *, organization: Organization, terms: engine.Policy, actor=None
) -> PolicyVersion:
    """Put `terms` in force: the current version when nothing changed, else a new version
    (a new policy when `policy` is None). Earlier versions stay as grants accepted them."""
    document = stored_document(terms)
    with transaction.atomic():
        if policy is None:
            policy = UsagePolicy.objects.create(organization=organization)
        else:
            policy = UsagePolicy.objects.select_for_update().get(pk=policy.pk)
        current = policy.current
        if current is not None and current.document == document:
            return current
        number = (current.number if current else 0) + 1
        version = PolicyVersion.objects.create(
            policy=policy,
            number=number,
            document=document,
            created_by=getattr(actor, "user", actor) if actor is not None else None,
        )
        policy.current = version
        policy.save(update_fields=["current"])
    return version


def create_policies(items: list[tuple[Organization, engine.Policy]]) -> list[PolicyVersion]:
    """New policies in bulk, each with its first version in force (for catalogue imports)."""
    policies = UsagePolicy.objects.bulk_create(
        [UsagePolicy(organization=organization) for organization, _ in items]
    )
    versions = PolicyVersion.objects.bulk_create(
        [
            PolicyVersion(policy=policy, number=1, document=stored_document(terms))
            for policy, (_, terms) in zip(policies, items, strict=True)
        ]
    )
    for policy, version in zip(policies, versions, strict=True):
        policy.current = version
    UsagePolicy.objects.bulk_update(policies, ["current"])
    return versions
