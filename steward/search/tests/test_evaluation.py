"""The discovery assistant against its evaluation set (evaluation.py): mean recall@5 of at least
0.9, no dataset in a top 5 that breaks what the request states, and never a private dataset.

The catalogue (about 350 datasets) is installed once for the module, inside a transaction that
is rolled back at the end, and every case is sent to POST /api/assistant/chat as a client would
send it, turn by turn with the replies in between. A failure prints the cases that went wrong:
the request, the datasets expected, the datasets returned and the violations."""

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from steward.search.tests.evaluation import (
    CASES,
    LANGUAGES,
    Summary,
    catalogue,
    evaluate,
    expected,
    install_catalogue,
)

# The marker also makes pytest-django set up a test database when this module runs alone;
# without it the module fixture would write to the configured database.
pytestmark = pytest.mark.django_db

MIN_RECALL = 0.9
CHAT_URL = "/api/assistant/chat"


def _send_with(client: Client):
    def send(messages, context):
        body = {"messages": messages}
        if context:
            body["context"] = context
        response = client.post(CHAT_URL, body, content_type="application/json")
        if response.status_code != 200:
            raise AssertionError(f"{response.status_code}: {response.content[:300]!r}")
        return response.json()

    return send


@pytest.fixture(scope="module")
def summary(django_db_setup, django_db_blocker) -> Summary:
    """Every case asked of the assistant by a visitor who is not signed in."""
    with django_db_blocker.unblock(), transaction.atomic():
        cache.clear()
        install_catalogue()
        results = list(evaluate(_send_with(Client())))
        # Nothing of the catalogue outlives the module: the other tests start from an empty one.
        transaction.set_rollback(True)
    cache.clear()
    return Summary(results)


def _report(results, limit: int = 40) -> str:
    shown = "\n".join(r.describe() for r in results[:limit])
    more = f"\n... and {len(results) - limit} more" if len(results) > limit else ""
    return f"\n{shown}{more}"


def test_the_evaluation_set_is_broad_and_every_case_expects_datasets():
    entries = catalogue()
    assert len(entries) >= 250
    assert len(LANGUAGES) >= 60
    assert len(CASES) >= 100
    assert len({case.name for case in CASES}) == len(CASES)
    assert any(entry.is_private for entry in entries)
    empty = [case.name for case in CASES if not expected(case, entries)]
    assert not empty, f"cases that expect nothing: {empty}"


def test_mean_recall_at_5_is_at_least_90_percent(summary):
    groups = ", ".join(f"{key} {recall:.2f}" for key, (_, recall) in summary.by_group().items())
    assert summary.mean_recall >= MIN_RECALL, (
        f"mean recall@5 {summary.mean_recall:.3f} < {MIN_RECALL} over {len(summary.results)}"
        f" cases ({groups}). Cases below 1.0:"
        + _report(sorted(summary.failing(), key=lambda r: r.recall))
    )


def test_no_answer_breaks_a_constraint_of_the_request(summary):
    broken = summary.cases_with_violations
    assert not broken, f"{summary.violations} violations in {len(broken)} cases:" + _report(broken)


def test_no_private_dataset_is_ever_returned(summary):
    leaked = [r for r in summary.results if r.private]
    assert not summary.private, f"private datasets returned: {summary.private}" + _report(leaked)


def test_every_request_is_answered(summary):
    errors = [r for r in summary.results if r.error]
    assert not errors, "requests that failed:" + _report(errors)
