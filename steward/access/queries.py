"""Reads that the pages and the API share: request queues and usage figures."""

from django.db.models import Count, QuerySet

from steward.catalog.models import Dataset

from .models import AccessRequest


def requests_of(user) -> QuerySet:
    return AccessRequest.objects.filter(user=user).select_related(
        "dataset", "policy_version", "grant"
    )


def requests_for_dataset(dataset: Dataset) -> QuerySet:
    return AccessRequest.objects.filter(dataset=dataset).select_related(
        "dataset", "user", "policy_version", "grant"
    )


def requests_for_organization(organization) -> QuerySet:
    return AccessRequest.objects.filter(dataset__organization=organization).select_related(
        "dataset", "user", "policy_version", "grant"
    )


def status_counts(requests: QuerySet) -> dict[str, int]:
    counts = {status: 0 for status in AccessRequest.Status.values}
    for row in requests.order_by().values("status").annotate(n=Count("id")):
        counts[row["status"]] = row["n"]
    return counts
