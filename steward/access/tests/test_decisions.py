"""Who may download what: persona × visibility × file, through the API and the service."""

import pytest

from steward.access.services import decide_download

pytestmark = pytest.mark.django_db

PERSONAS = ["owner", "admin", "member", "outsider", "staff", "anonymous"]
IN_ORGANIZATION = {"owner", "admin", "member"}


def expected_status(persona: str, visibility: str) -> int:
    if persona == "anonymous":
        return 401
    if visibility == "public" or persona in IN_ORGANIZATION:
        return 200
    return 403


@pytest.mark.parametrize("path", ["download", "sample-download"])
@pytest.mark.parametrize("visibility", ["public", "restricted", "private"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_download_decision_table(request, client, datasets, auth_for, persona, visibility, path):
    user = request.getfixturevalue(persona)
    dataset = datasets[visibility]

    response = client.post(f"/api/datasets/{dataset.public_id}/{path}", **auth_for(user))

    assert response.status_code == expected_status(persona, visibility)
    body = response.json()
    if response.status_code == 200:
        assert body["downloadUrl"].startswith("http://testserver/downloads/")
    elif response.status_code == 403:
        assert (
            body["code"] == {"restricted": "access_not_requested", "private": "private"}[visibility]
        )
        assert body["error"].startswith(
            {"restricted": "Request access", "private": "This dataset is private"}[visibility]
        )
        # A refusal names nothing about the dataset.
        assert dataset.name not in response.content.decode()
    else:
        assert body["code"] == "unauthorized"


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_service_decides_like_the_api(request, datasets, persona):
    user = request.getfixturevalue(persona)
    for visibility, dataset in datasets.items():
        for role in ("archive", "sample"):
            decision = decide_download(user, dataset, role)
            assert decision.allowed == (expected_status(persona, visibility) == 200)
            assert bool(decision.reason) != decision.allowed


def test_anonymous_is_told_to_log_in(anonymous, datasets):
    decision = decide_download(anonymous, datasets["public"])
    assert (decision.allowed, decision.code) == (False, "login_required")


def test_an_invalid_key_is_401(client, datasets):
    response = client.post(
        f"/api/datasets/{datasets['public'].public_id}/download",
        HTTP_AUTHORIZATION="Bearer stw_nope_nope",
    )
    assert response.status_code == 401
    assert response.json()["error"].startswith("A valid API key is required")
