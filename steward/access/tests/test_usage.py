"""What the owning organization sees of a dataset's use: figures, charts, CSV files, and who
may see them. Downloads and grants are made through the real services; only their dates,
sizes and later states are set afterwards."""

import csv
import io
import re
from datetime import timedelta
from itertools import pairwise

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from steward.access import queries, services
from steward.access.models import AccessRequest, DownloadEvent, Grant
from steward.accounts.services import create_user
from steward.catalog.models import DatasetFile
from steward.catalog.tests.factories import make_dataset
from steward.organizations.models import Organization

from .conftest import ARCHIVE, SAMPLE

pytestmark = pytest.mark.django_db

DAYS_AGO_40, DAYS_AGO_200, DAYS_AGO_800 = 40, 200, 800
# A name a spreadsheet would run as a formula if it were written as it is.
FORMULA_NAME = '=HYPERLINK("http://evil.example")'


def page(dataset, period: str | None = None) -> str:
    url = reverse("access:dataset-usage", args=[dataset.organization.slug, dataset.public_id])
    return f"{url}?period={period}" if period else url


def csv_url(dataset, kind: str, period: str = "all") -> str:
    url = reverse("access:dataset-usage-csv", args=[dataset.organization.slug, dataset.public_id])
    return f"{url}?kind={kind}&period={period}"


def flat(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.fixture
def dataset(organization):
    return make_dataset(
        organization,
        slug="usage-speech",
        name="Lingala usage speech",
        archive=ARCHIVE,
        sample=SAMPLE,
        visibility="restricted",
        autoApproveAccessRequests=True,
    )


def ask(dataset, username, *, purpose, country, kind, name) -> Grant:
    user = create_user(username, email=f"{username}@example.net", password="a-long-password-1")
    request = services.request_access(
        dataset,
        user=user,
        data={
            "purpose": purpose,
            "country": country,
            "organizationType": kind,
            "organizationName": name,
            "acceptTerms": True,
        },
    )
    assert request.status == AccessRequest.Status.APPROVED
    return request.grant


def download(dataset, user, *, size, days_ago=0, role="archive", channel="api"):
    session = services.start_download(
        user, dataset, role=role, channel=channel, base_url="http://testserver/"
    )
    DownloadEvent.objects.filter(public_id=session.event_id).update(
        bytes_served=size, created_at=timezone.now() - timedelta(days=days_ago)
    )


@pytest.fixture
def usage(dataset, member):
    """Four grants and six downloads, spread over the last two and a bit years:

    alice  research   KE academic  2 archives today (1000 B each), a sample 40 days ago (100 B)
    bob    commercial FR company   an archive 200 days ago (5000 B); grant expired; a report
    carol  education  KE nonprofit an archive 800 days ago (300 B), asked 800 days ago
    erin   research   DE individual no download; grant revoked
    member (no grant: the organization's own) an archive today (50 B)
    dave   asked and was denied; frank's request waits.
    """
    alice = ask(dataset, "alice", purpose="research", country="KE", kind="academic",
                name="University of Nairobi")  # fmt: skip
    bob = ask(dataset, "bob", purpose="commercial", country="FR", kind="company",
              name=FORMULA_NAME)  # fmt: skip
    carol = ask(dataset, "carol", purpose="education", country="KE", kind="nonprofit",
                name="Lingala Teachers")  # fmt: skip
    erin = ask(dataset, "erin", purpose="research", country="DE", kind="individual", name="")
    download(dataset, alice.user, size=1000)
    download(dataset, alice.user, size=1000)
    download(dataset, alice.user, size=100, days_ago=DAYS_AGO_40, role="sample", channel="web")
    download(dataset, bob.user, size=5000, days_ago=DAYS_AGO_200)
    download(dataset, carol.user, size=300, days_ago=DAYS_AGO_800)
    download(dataset, member, size=50, channel="web")

    now = timezone.now()
    long_ago = now - timedelta(days=DAYS_AGO_800)
    AccessRequest.objects.filter(pk=carol.request_id).update(created_at=long_ago)
    Grant.objects.filter(pk=carol.pk).update(created_at=long_ago)
    Grant.objects.filter(pk=bob.pk).update(
        expires_at=now - timedelta(days=1),
        usage_report="We trained a Lingala speech recogniser for call centres.",
        renewed_at=now - timedelta(days=10),
    )
    Grant.objects.filter(pk=erin.pk).update(revoked_at=now)
    denied = ask(dataset, "dave", purpose="commercial", country="US", kind="company", name="Acme")
    AccessRequest.objects.filter(pk=denied.request_id).update(status="denied")
    Grant.objects.filter(pk=denied.pk).delete()
    waiting = ask(dataset, "frank", purpose="research", country="KE", kind="academic",
                  name="Makerere")  # fmt: skip
    AccessRequest.objects.filter(pk=waiting.request_id).update(status="pending", decided_at=None)
    Grant.objects.filter(pk=waiting.pk).delete()
    return {"alice": alice.user, "bob": bob.user, "carol": carol.user, "erin": erin.user}


# --- The figures ---


def test_all_time_figures_by_purpose_and_country(dataset, usage):
    figures = queries.usage_for(dataset)

    assert figures.downloads == queries.DownloadFigures("", 6, 4, 7450)
    assert figures.downloads_by_purpose == [
        queries.DownloadFigures("research", 3, 1, 2100),
        queries.DownloadFigures("education", 1, 1, 300),
        queries.DownloadFigures("commercial", 1, 1, 5000),
        queries.DownloadFigures("", 1, 1, 50),
    ]
    assert figures.downloads_by_country == [
        queries.DownloadFigures("KE", 4, 2, 2400),
        queries.DownloadFigures("", 1, 1, 50),
        queries.DownloadFigures("FR", 1, 1, 5000),
    ]
    assert figures.requests == {"approved": 4, "pending": 1, "denied": 1}
    assert figures.requests_by_purpose == {"research": 3, "education": 1, "commercial": 2}
    assert figures.requests_by_country == {"KE": 3, "DE": 1, "FR": 1, "US": 1}
    assert figures.grants == {"active": 2, "expired": 1, "revoked": 1}


def test_monthly_series_cover_every_month_and_add_up(dataset, usage):
    figures = queries.usage_for(dataset)
    series = figures.download_series["purpose"]

    starts = [bucket.start for bucket in series.buckets]
    assert starts[0] == queries.bucket_start(timezone.now() - timedelta(days=800), "month")
    assert starts[-1] == queries.bucket_start(timezone.now(), "month")
    assert all(b.start.day == 1 for b in series.buckets)
    assert len(starts) == len(set(starts)) >= 26  # empty months are there too
    assert series.keys == ("research", "education", "commercial", "")
    assert series.total == 6
    this_month = dict(zip(series.keys, series.buckets[-1].values, strict=True))
    assert this_month["research"] >= 2 and this_month[""] == 1
    assert figures.download_series["country"].total == 6
    assert figures.request_series["status"].keys == ("approved", "pending", "denied")
    assert figures.request_series["status"].total == 6
    # Requests and downloads share the same months.
    assert [b.start for b in figures.request_series["purpose"].buckets] == starts


@pytest.mark.parametrize("bucket", ["day", "week"])
def test_days_and_weeks(dataset, usage, bucket):
    since = timezone.now() - timedelta(days=45)
    figures = queries.usage_for(dataset, since=since, bucket=bucket)
    series = figures.download_series["purpose"]

    assert series.total == 4  # alice's three and the member's
    first = queries.bucket_start(since, bucket)
    assert series.buckets[0].start == first
    if bucket == "week":
        assert all(b.start.weekday() == 0 for b in series.buckets)
    step = timedelta(days=7 if bucket == "week" else 1)
    assert all(b.start - a.start == step for a, b in pairwise(series.buckets))


def test_an_unknown_bucket_is_refused(dataset):
    with pytest.raises(ValueError, match="bucket"):
        queries.usage_for(dataset, bucket="year")


def test_nothing_yet(dataset):
    figures = queries.usage_for(dataset)
    assert figures.downloads == queries.DownloadFigures("", 0, 0, 0)
    assert figures.download_series["purpose"].buckets == ()
    assert figures.requests == {"approved": 0, "pending": 0, "denied": 0}


def test_public_counts(dataset, usage):
    assert queries.public_counts(dataset) == {"grants": 4, "downloads": 6, "users": 4}


# --- The page ---


@pytest.mark.parametrize("persona", ["owner", "admin", "member"])
def test_members_see_the_figures(request, client, dataset, usage, persona):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(page(dataset, "all"))

    assert response.status_code == 200
    html = flat(response)
    assert "<strong>6</strong> downloads" in html
    assert "<strong>4</strong> people downloaded" in html
    assert "<strong>7.3 KB</strong> served" in html
    assert "<strong>6</strong> access requests" in html
    assert "<strong>1</strong> request waiting" in html
    research = (
        '<th scope="row">Research</th> <td class="number">3</td> <td class="number">1</td>'
        ' <td class="number">2.1 KB</td>'
    )
    assert research in html
    assert 'Kenya<svg class="share-bar"' in html
    kenya = '</th> <td class="number">4</td> <td class="number">2</td> <td class="number">2.3 KB'
    assert kenya in html
    assert "2 active, 1 expired, 1 revoked" in html


def test_charts_have_text_alternatives(client, dataset, usage, owner):
    client.force_login(owner)

    html = flat(client.get(page(dataset, "12m")))

    for chart in ("downloads-chart", "requests-chart"):
        assert f'role="img" aria-labelledby="{chart}-title {chart}-desc"' in html
        assert f'<title id="{chart}-title">' in html
    assert '<title id="downloads-chart-title">Downloads by declared purpose</title>' in html
    # Each bar says what it is, and the same figures are in a table.
    assert "<title>" + timezone.now().strftime("%B %Y") + ": Research 2</title>" in html
    assert "Show the figures as a table" in html
    assert html.count("<caption") == 2


@pytest.mark.parametrize(
    ("period", "sessions", "users", "kenya"),
    [("30d", 3, 2, 2), ("12m", 5, 3, 3), ("all", 6, 4, 4), (None, 5, 3, 3)],
)
def test_the_period_filter(client, dataset, usage, owner, period, sessions, users, kenya):
    client.force_login(owner)

    response = client.get(page(dataset, period))

    figures = response.context["usage"]
    assert (figures.downloads.sessions, figures.downloads.users) == (sessions, users)
    assert figures.downloads_by_country[0] == queries.DownloadFigures(
        "KE", kenya, 1 if kenya < 4 else 2, {2: 2000, 3: 2100, 4: 2400}[kenya]
    )
    buckets = figures.download_series["purpose"].buckets
    if period == "30d":
        assert len(buckets) == 30 and figures.bucket == "day"
    elif period in ("12m", None):
        assert len(buckets) == 12 and figures.bucket == "month"
    html = flat(response)
    assert f"<strong>{sessions}</strong> downloads" in html
    assert f'href="?period={period or "12m"}" aria-current="page"' in html
    assert f"period={period or '12m'}" in html.split("Download the figures")[1]


def test_an_unknown_period_is_400(client, dataset, owner):
    client.force_login(owner)
    response = client.get(page(dataset, "forever"))
    assert response.status_code == 400
    assert "Unknown period" in response.content.decode()


def test_usage_reports_show_the_organization_not_the_person(client, dataset, usage, owner):
    client.force_login(owner)

    html = flat(client.get(page(dataset)))

    section = html.split('id="reports-heading"')[1].split("</section>")[0]
    assert "We trained a Lingala speech recogniser for call centres." in section
    assert "Commercial use" in section
    assert "=HYPERLINK(&quot;http://evil.example&quot;)" in section
    assert "bob" not in section


def test_downloaders_are_not_named_on_the_page(client, dataset, usage, owner):
    client.force_login(owner)
    html = client.get(page(dataset, "all")).content.decode()
    for user in usage.values():
        assert user.email not in html
        assert f">{user.username}<" not in html


# --- Who may look ---


def test_anonymous_visitors_are_sent_to_log_in(client, dataset):
    for url in (page(dataset), csv_url(dataset, "downloads")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    organization_page = reverse("access:organization-usage", args=[dataset.organization.slug])
    assert client.get(organization_page).status_code == 302


@pytest.mark.parametrize("persona", ["outsider", "staff"])
def test_others_get_404(request, client, dataset, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(page(dataset)).status_code == 404
    assert client.get(csv_url(dataset, "downloads")).status_code == 404
    organization_page = reverse("access:organization-usage", args=[dataset.organization.slug])
    assert client.get(organization_page).status_code == 404


def test_another_organizations_dataset_is_404_under_either_slug(client, dataset, owner, outsider):
    theirs = make_dataset(Organization.objects.get(slug="other-org"), slug="their-speech")
    client.force_login(owner)

    # Their dataset under our organization's address, and ours under theirs.
    mixed = reverse("access:dataset-usage", args=[dataset.organization.slug, theirs.public_id])
    assert client.get(mixed).status_code == 404
    assert client.get(page(theirs)).status_code == 404
    client.force_login(outsider)
    mixed = reverse("access:dataset-usage", args=["other-org", dataset.public_id])
    assert client.get(mixed).status_code == 404
    assert client.get(page(theirs)).status_code == 200


# --- CSV ---


def test_downloads_csv(client, dataset, usage, member):
    client.force_login(member)

    response = client.get(csv_url(dataset, "downloads"))

    assert response.status_code == 200
    assert response.streaming
    assert "usage-speech-downloads-all.csv" in response["Content-Disposition"]
    header, *rows = read_csv(response)
    assert tuple(header) == queries.DOWNLOAD_COLUMNS
    assert len(rows) == 6
    assert [row[0] for row in rows] == sorted(row[0] for row in rows)
    today = timezone.now().date().isoformat()
    assert rows[0] == [
        (timezone.now() - timedelta(days=800)).date().isoformat(),
        "1", "archive", "api", "education", "KE", "nonprofit", "300",
    ]  # fmt: skip
    assert rows[1][1:] == ["1", "archive", "api", "commercial", "FR", "company", "5000"]
    assert rows[2][1:] == ["1", "sample", "web", "research", "KE", "academic", "100"]
    assert sorted(row[1:] for row in rows[3:]) == [
        ["1", "archive", "api", "research", "KE", "academic", "1000"],
        ["1", "archive", "api", "research", "KE", "academic", "1000"],
        ["1", "archive", "web", "", "", "", "50"],
    ]
    assert {row[0] for row in rows[3:]} == {today}
    assert sum(int(row[7]) for row in rows) == 7450


def test_requests_csv(client, dataset, usage, owner):
    client.force_login(owner)

    header, *rows = read_csv(client.get(csv_url(dataset, "requests")))

    assert tuple(header) == queries.REQUEST_COLUMNS
    assert len(rows) == 6
    by_name = {row[5]: row for row in rows}
    assert by_name["University of Nairobi"][1:5] == ["approved", "research", "KE", "academic"]
    assert by_name["University of Nairobi"][6] == "false"
    assert by_name["University of Nairobi"][7] == timezone.now().date().isoformat()
    assert by_name["Acme"][1] == "denied"
    assert by_name["Makerere"][1] == "pending" and by_name["Makerere"][7] == ""
    # A spreadsheet must not run what a requester typed.
    assert "'" + FORMULA_NAME in by_name
    assert FORMULA_NAME not in by_name


@pytest.mark.parametrize("kind", ["downloads", "requests"])
def test_the_csv_names_nobody(client, dataset, usage, owner, kind):
    client.force_login(owner)

    text = b"".join(client.get(csv_url(dataset, kind)).streaming_content).decode()

    for user in [*usage.values(), owner]:
        assert user.username not in text
        assert user.email not in text
    assert "example.net" not in text and "example.org" not in text


def test_the_csv_follows_the_period(client, dataset, usage, owner):
    client.force_login(owner)
    _, *recent = read_csv(client.get(csv_url(dataset, "downloads", "30d")))
    _, *requests = read_csv(client.get(csv_url(dataset, "requests", "12m")))
    assert len(recent) == 3
    assert len(requests) == 5  # carol asked 800 days ago


@pytest.mark.parametrize("query", ["?kind=people", "?kind=", ""])
def test_a_bad_kind_is_400(client, dataset, owner, query):
    client.force_login(owner)
    url = reverse("access:dataset-usage-csv", args=[dataset.organization.slug, dataset.public_id])

    response = client.get(url + query)

    assert response.status_code == 400
    assert "kind=downloads or kind=requests" in response.content.decode()


def test_a_bad_period_in_the_csv_is_400(client, dataset, owner):
    client.force_login(owner)
    response = client.get(csv_url(dataset, "downloads", "1y"))
    assert response.status_code == 400 and "Unknown period" in response.content.decode()


# --- The organization's overview ---


def test_the_organization_overview(client, organization, dataset, usage, member):
    quiet = make_dataset(organization, slug="quiet-speech", name="A quiet dataset")
    client.force_login(member)

    response = client.get(reverse("access:organization-usage", args=[organization.slug]))

    assert response.status_code == 200
    rows = {d.slug: d for d in response.context["datasets"]}
    busy = rows["usage-speech"]
    assert (busy.downloads, busy.recent_downloads, busy.users, busy.bytes) == (6, 3, 4, 7450)
    assert (busy.active_grants, busy.requests, busy.pending_requests) == (2, 6, 1)
    assert (rows["quiet-speech"].downloads, rows["quiet-speech"].bytes) == (0, 0)
    assert response.context["totals"] == queries.DownloadFigures("", 6, 4, 7450)
    html = flat(response)
    assert f'href="{page(dataset)}"' in html and f'href="{page(quiet)}"' in html
    assert (
        '<td class="number">6</td> <td class="number">3</td> <td class="number">4</td>'
        ' <td class="number">7.3 KB</td> <td class="number">2</td> <td class="number">1</td>'
    ) in html


# --- Queries stay few, however many rows ---


def add_events(dataset, users, count: int) -> None:
    """`count` download events and as many requests, over 24 months, bypassing the services
    (which would take minutes at this size)."""
    file = DatasetFile.objects.get(version=dataset.current_version, role="archive")
    now = timezone.now()
    purposes = ["research", "education", "non_commercial", "commercial", ""]
    countries = ["KE", "CD", "FR", "DE", "US", "BR", "IN", ""]
    DownloadEvent.objects.bulk_create(
        DownloadEvent(
            public_id=f"bulk-{i}",
            user=users[i % len(users)],
            dataset=dataset,
            version=dataset.current_version,
            file=file,
            organization_id=dataset.organization_id,
            channel="api",
            purpose=purposes[i % 5],
            country=countries[i % 8],
            bytes_served=i,
            expires_at=now,
        )
        for i in range(count)
    )
    per_month = count // 24 + 1
    for month in range(24):  # bytes_served is the event's number
        DownloadEvent.objects.filter(
            public_id__startswith="bulk-",
            bytes_served__gte=month * per_month,
            bytes_served__lt=(month + 1) * per_month,
        ).update(created_at=now - timedelta(days=30 * month))
    policy = dataset.usage_policy.current
    AccessRequest.objects.bulk_create(
        AccessRequest(
            public_id=f"req-{i}",
            dataset=dataset,
            user=users[i % len(users)],
            policy_version=policy,
            status="denied" if i % 2 else "approved",
            purpose=purposes[i % 4],
            country=countries[i % 7],
            organization_type="academic",
            terms_accepted_at=now,
        )
        for i in range(count)
    )


def test_the_page_makes_few_queries_however_many_events(
    client, dataset, usage, owner, django_assert_max_num_queries
):
    client.force_login(owner)
    with CaptureQueriesContext(connection) as few:
        assert client.get(page(dataset, "all")).status_code == 200

    add_events(dataset, list(usage.values()), 600)
    assert DownloadEvent.objects.filter(dataset=dataset).count() == 606
    with django_assert_max_num_queries(12) as many:
        response = client.get(page(dataset, "all"))
    assert response.context["usage"].downloads.sessions == 606
    assert len(many.captured_queries) == len(few.captured_queries)

    with django_assert_max_num_queries(8):
        client.get(reverse("access:organization-usage", args=[dataset.organization.slug]))
    with django_assert_max_num_queries(8):
        b"".join(client.get(csv_url(dataset, "downloads")).streaming_content)
