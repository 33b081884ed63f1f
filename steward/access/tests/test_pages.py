"""The dataset page's Download buttons and the web view behind them."""

import pytest
from django.urls import reverse

from steward.access.models import DownloadEvent
from steward.catalog.models import Dataset
from steward.catalog.tests.factories import make_dataset

from .conftest import ARCHIVE, SAMPLE

pytestmark = pytest.mark.django_db


def page(dataset: Dataset) -> str:
    return reverse("catalog:dataset-detail", args=[dataset.public_id])


def download_url(dataset: Dataset, role: str = "archive") -> str:
    name = "access:dataset-download" if role == "archive" else "access:sample-download"
    return reverse(name, args=[dataset.public_id])


def test_a_signed_in_user_sees_both_buttons(client, datasets, outsider):
    dataset = datasets["public"]
    client.force_login(outsider)

    html = client.get(page(dataset)).content.decode()

    assert f'action="{download_url(dataset)}"' in html
    assert f'action="{download_url(dataset, "sample")}"' in html
    assert "Download sample" in html and "csrfmiddlewaretoken" in html


def test_anonymous_visitors_are_asked_to_log_in(client, datasets):
    dataset = datasets["public"]

    html = client.get(page(dataset)).content.decode()

    assert "Log in to download" in html
    assert f"{reverse('account_login')}?next={page(dataset)}" in html
    assert download_url(dataset) not in html


@pytest.mark.parametrize("persona", ["outsider", "staff"])
def test_a_user_without_access_sees_the_reason(request, client, datasets, persona):
    dataset = datasets["restricted"]
    client.force_login(request.getfixturevalue(persona))

    html = client.get(page(dataset)).content.decode()

    assert "Request access to this dataset first" in html
    assert download_url(dataset) not in html


@pytest.mark.parametrize("persona", ["owner", "admin", "member"])
@pytest.mark.parametrize("visibility", ["restricted", "private"])
def test_members_may_download_restricted_and_private(
    request, client, datasets, persona, visibility
):
    dataset = datasets[visibility]
    client.force_login(request.getfixturevalue(persona))

    html = client.get(page(dataset)).content.decode()

    assert f'action="{download_url(dataset)}"' in html


def test_no_sample_button_without_a_sample(client, organization, member):
    dataset = make_dataset(organization, slug="archive-only", archive=ARCHIVE)
    client.force_login(member)

    html = client.get(page(dataset)).content.decode()

    assert download_url(dataset) in html and "Download sample" not in html


def test_no_download_section_without_files(client, organization, member):
    dataset = make_dataset(organization, slug="metadata-only")
    client.force_login(member)

    html = client.get(page(dataset)).content.decode()

    assert "Log in to download" not in html and download_url(dataset) not in html


def test_the_button_redirects_to_a_signed_link_that_serves_the_file(client, datasets, member):
    dataset = datasets["private"]
    client.force_login(member)

    response = client.post(download_url(dataset), HTTP_USER_AGENT="Firefox")

    assert response.status_code == 302
    assert response["Location"].startswith("http://testserver/downloads/")
    event = DownloadEvent.objects.get()
    assert (event.channel, event.client, event.user) == ("web", "Firefox", member)
    served = client.get(response["Location"])
    assert b"".join(served.streaming_content) == ARCHIVE
    # Members on the web get the organization's own file name.
    assert 'filename="private-speech.tar.gz"' in served["Content-Disposition"]


def test_the_sample_button_serves_the_sample(client, datasets, member):
    client.force_login(member)

    response = client.post(download_url(datasets["public"], "sample"))

    assert b"".join(client.get(response["Location"]).streaming_content) == SAMPLE


def test_csrf_is_required(datasets, member):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    assert client.post(download_url(datasets["public"])).status_code == 403
    assert not DownloadEvent.objects.exists()


def test_anonymous_post_is_sent_to_log_in_and_back(client, datasets):
    dataset = datasets["public"]

    response = client.post(download_url(dataset))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={page(dataset)}"
    assert not DownloadEvent.objects.exists()


def test_a_refused_post_goes_back_to_the_page_with_the_reason(client, datasets, outsider):
    dataset = datasets["restricted"]
    client.force_login(outsider)

    response = client.post(download_url(dataset), follow=True)

    assert response.redirect_chain == [(page(dataset), 302)]
    assert "Request access to this dataset first" in response.content.decode()
    assert not DownloadEvent.objects.exists()


def test_outsiders_cannot_find_a_private_dataset_on_the_web(client, datasets, outsider):
    client.force_login(outsider)

    assert client.post(download_url(datasets["private"])).status_code == 404


def test_get_is_not_allowed(client, datasets, member):
    client.force_login(member)
    assert client.get(download_url(datasets["public"])).status_code == 405


def test_a_removed_dataset_is_410(client, datasets, member):
    dataset = datasets["public"]
    Dataset.objects.filter(pk=dataset.pk).update(status="removed", removal_reason="Withdrawn.")
    client.force_login(member)

    response = client.post(download_url(dataset))

    assert response.status_code == 410
    assert "Withdrawn." in response.content.decode()
