"""The submission pages: who may do what, the step forms, their errors, and the journey
from a draft to a published dataset."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from steward.catalog.models import Comment, Dataset, Submission
from steward.catalog.tests.factories import make_dataset
from steward.catalog.tests.submission_factories import (
    description,
    make_submission,
    people,
    rights,
    terms,
)
from steward.moderation.models import Review
from steward.moderation.services import review_submission

pytestmark = pytest.mark.django_db

ATTESTED = {"rightsStatement": "Every speaker signed the radio's consent form."}
ALL_TICKED = dict.fromkeys(
    [
        "rights_cleared",
        "consent_documented",
        "personal_data_assessed",
        "provenance_documented",
        "datasheet_complete",
    ],
    True,
)


def edit_url(submission, step: str = "") -> str:
    url = reverse("catalog:submission-edit", args=[submission.public_id])
    return f"{url}?step={step}" if step else url


def action_url(name: str, submission) -> str:
    return reverse(f"catalog:submission-{name}", args=[submission.public_id])


def client_for(persona: str, request) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    return client


def snapshot() -> tuple:
    """Every row a refused request must leave alone."""
    return (
        list(Submission.objects.order_by("pk").values()),
        list(Review.objects.order_by("pk").values()),
        list(Comment.objects.order_by("pk").values()),
    )


# --- Who may do what -------------------------------------------------------------------

# action -> (method, url maker, form data maker)
ACTIONS = {
    "list": ("get", lambda s: reverse("catalog:submission-list"), None),
    "new-page": ("get", lambda s: reverse("catalog:submission-new"), None),
    "edit-page": ("get", lambda s: edit_url(s), None),
    "save-step": ("post", lambda s: edit_url(s, "description"), lambda s: description(s)),
    "submit": ("post", lambda s: action_url("submit", s), lambda s: {"agreeToSubmit": "on"}),
    "withdraw-page": ("get", lambda s: action_url("withdraw", s), None),
    "withdraw": ("post", lambda s: action_url("withdraw", s), lambda s: {}),
    "delete-page": ("get", lambda s: action_url("delete", s), None),
    "delete": ("post", lambda s: action_url("delete", s), lambda s: {}),
    "comment": ("post", lambda s: action_url("comment", s), lambda s: {"body": "Hello."}),
    "new-version-page": ("get", lambda s: new_version_url(), None),
    "new-version": ("post", lambda s: new_version_url(), lambda s: {"name": "Version two"}),
}


def new_version_url() -> str:
    dataset = Dataset.objects.get(slug="lingala-radio")
    return reverse("catalog:submission-new") + f"?dataset={dataset.public_id}"


MEMBER = {
    "list": 200,
    "new-page": 200,
    "edit-page": 200,
    "save-step": 302,
    "submit": 302,
    "withdraw-page": 200,
    "withdraw": 302,
    "delete-page": 200,
    "delete": 302,
    "comment": 302,
    "new-version-page": 200,
    "new-version": 302,
}
MATRIX = {
    "anonymous": dict.fromkeys(MEMBER, 302),
    "outsider": {**dict.fromkeys(MEMBER, 403), "list": 200, "new-page": 200},
    "member": MEMBER,
    "admin": MEMBER,
    "owner": MEMBER,
    # Staff read a submission on the organization's page but act only on their own pages.
    "staff": {**dict.fromkeys(MEMBER, 403), "list": 200, "new-page": 200, "edit-page": 200},
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("persona", list(MATRIX))
def test_persona_and_action_table(request, owner, organization, persona, action):
    make_dataset(organization, slug="lingala-radio")
    draft = make_submission(owner, submit=False, **ATTESTED)
    client = client_for(persona, request)
    method, url, data = ACTIONS[action]
    before = snapshot()
    response = getattr(client, method)(url(draft), data(draft) if data else {})
    expected = MATRIX[persona][action]
    assert response.status_code == expected, response.content.decode()[:500]
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))
    if method == "post" and expected != 302 or persona == "anonymous":
        # Refused: not a row changed.
        assert snapshot() == before


def test_the_list_shows_only_the_users_organizations(client, owner, outsider):
    mine = make_submission(owner, name="Ours", submit=False)
    client.force_login(outsider)
    response = client.get(reverse("catalog:submission-list"))
    assert "Ours" not in response.content.decode()
    client.force_login(owner)
    response = client.get(reverse("catalog:submission-list"))
    assert edit_url(mine) in response.content.decode()
    assert "Draft" in response.content.decode()


def test_unknown_and_deleted_submissions_are_404(client, owner):
    draft = make_submission(owner, submit=False)
    client.force_login(owner)
    assert client.post(action_url("delete", draft)).status_code == 302
    assert client.get(edit_url(draft)).status_code == 404
    assert client.get("/submissions/cnotarealsubmission000000").status_code == 404
    assert client.get(edit_url(make_submission(owner, submit=False), "nope")).status_code == 404


# --- Starting a draft --------------------------------------------------------------------


def test_starting_a_draft_leads_to_its_first_step(client, member):
    client.force_login(member)
    response = client.post(reverse("catalog:submission-new"), {"name": "Lingala Radio Speech"})
    submission = Submission.objects.get()
    assert response.status_code == 302
    assert response["Location"] == edit_url(submission, "description")
    assert submission.status == "draft" and submission.created_by == member
    assert submission.organization.slug == "radio-kinshasa"


def test_several_organizations_mean_choosing_one(client, member):
    from steward.organizations.services import create_organization

    create_organization("second-org", name="Second Org", owner=member, approved=True)
    client.force_login(member)
    page = client.get(reverse("catalog:submission-new")).content.decode()
    assert "Second Org" in page and "Radio Kinshasa Community" in page
    response = client.post(reverse("catalog:submission-new"), {"name": "X"})
    assert response.status_code == 400 and not Submission.objects.exists()
    response = client.post(
        reverse("catalog:submission-new"), {"name": "X", "organization": "second-org"}
    )
    assert response.status_code == 302
    assert Submission.objects.get().organization.slug == "second-org"


def test_a_user_without_an_approved_organization_is_told_how_to_get_one(client, staff):
    client.force_login(staff)
    page = client.get(reverse("catalog:submission-new")).content.decode()
    assert reverse("organizations:apply") in page
    response = client.post(reverse("catalog:submission-new"), {"name": "X"})
    assert response.status_code == 403 and "not approved" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_new_version_starts_from_the_published_datasheet(client, organization, member):
    dataset = make_dataset(organization, slug="lingala-radio", restrictions="No resale.")
    client.force_login(member)
    url = reverse("catalog:submission-new") + f"?dataset={dataset.public_id}"
    assert 'value="Lingala Radio Speech"' in client.get(url).content.decode()
    response = client.post(url, {"name": "Lingala Radio Speech"})
    submission = Submission.objects.get()
    assert response.status_code == 302 and submission.dataset == dataset
    assert submission.datasheet["restrictions"] == "No resale."
    # A new version keeps its dataset's address: no slug field.
    page = client.get(edit_url(submission, "description")).content.decode()
    assert 'name="slug"' not in page and "A new version of" in page


# --- The step forms ----------------------------------------------------------------------


def test_each_step_saves_the_draft_and_shows_it_again(client, member):
    client.force_login(member)
    client.post(reverse("catalog:submission-new"), {"name": "Draft"})
    submission = Submission.objects.get()

    response = client.post(
        edit_url(submission, "description"),
        description(submission, slug="lingala-radio-speech", then="next"),
    )
    assert response.status_code == 302 and response["Location"] == edit_url(submission, "terms")
    submission.refresh_from_db()
    assert submission.datasheet["name"] == "Lingala Radio Speech"
    assert submission.slug == "lingala-radio-speech" and submission.revision == 2

    # "Save draft" stays on the step.
    response = client.post(
        edit_url(submission, "terms"),
        terms(submission, isPaid="on", price="25.50", then="stay"),
    )
    assert response["Location"] == edit_url(submission, "terms")
    submission.refresh_from_db()
    assert submission.datasheet["base_price_cents"] == 2550
    assert submission.datasheet["is_paid"] is True
    assert submission.datasheet["license_abbreviation"] == "CC-BY-4.0"
    page = client.get(edit_url(submission, "terms")).content.decode()
    assert 'value="25.50"' in page and "Draft saved." in page

    client.post(edit_url(submission, "people"), people(submission, then="next"))
    submission.refresh_from_db()
    client.post(edit_url(submission, "rights"), rights(submission, then="next"))
    submission.refresh_from_db()
    assert submission.datasheet["point_of_contact_email"] == "marie@example.org"
    assert submission.datasheet["show_contact_info"] is True
    assert submission.consent_basis == "informed_consent"
    assert submission.revision == 5

    # A later save of a step sends all its fields: an unticked box turns the flag off.
    client.post(edit_url(submission, "people"), people(submission, showContactInfo=""))
    submission.refresh_from_db()
    assert submission.datasheet["show_contact_info"] is False


def test_the_description_step_saves_annotation_and_biases(client, member):
    submission = make_submission(member, submit=False)
    client.force_login(member)
    annotation = "Two speakers transcribed each recording;\na third checked one in ten."
    biases = "Mostly men over 40 from Kinshasa."
    data = description(submission, annotationProcess=annotation, knownBiases=biases)
    response = client.post(edit_url(submission, "description"), data)
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.datasheet["annotation"] == annotation
    assert submission.datasheet["biases"] == biases
    # The step shows them again, each in its own labelled box with its help.
    page = client.get(edit_url(submission, "description")).content.decode()
    assert 'for="id_annotationProcess">Annotation and transcription</label>' in page
    assert 'for="id_knownBiases">Known biases and gaps</label>' in page
    assert 'id="id_knownBiases_helptext"' in page
    assert re.search(r'<textarea[^>]*id="id_annotationProcess"[^>]*>\s*Two speakers', page)
    assert re.search(r'<textarea[^>]*id="id_knownBiases"[^>]*>\s*Mostly men', page)
    # The review step reads them back.
    summary = client.get(edit_url(submission, "review")).content.decode()
    assert "a third checked one in ten." in summary and biases in summary


def test_a_licence_of_ones_own_needs_a_short_name_and_keeps_its_link(client, member):
    submission = make_submission(member, submit=False)
    client.force_login(member)
    url = edit_url(submission, "terms")
    response = client.post(url, terms(submission, licenseAbbreviation="custom"))
    assert response.status_code == 400
    assert 'id="id_customAbbreviation_error"' in response.content.decode()
    response = client.post(
        url,
        terms(
            submission,
            licenseAbbreviation="custom",
            customAbbreviation="KIN-1.0",
            license="Kinshasa Community Licence",
            licenseUrl="https://example.org/licence",
        ),
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.datasheet["license_abbreviation"] == "KIN-1.0"
    assert submission.datasheet["license_url"] == "https://example.org/licence"
    assert 'value="custom" selected' in client.get(url).content.decode()


@pytest.mark.parametrize(
    ("step", "data", "field", "message"),
    [
        ("people", {"pointOfContactEmail": "not-an-email"}, "pointOfContactEmail", "valid email"),
        ("description", {"shortDescription": "x" * 161}, "shortDescription", "at most 160"),
        ("description", {"annotationProcess": "x" * 7501}, "annotationProcess", "at most 7500"),
        ("description", {"knownBiases": "x" * 7501}, "knownBiases", "at most 7500"),
        ("description", {"locale": "xx-!!"}, "locale", "BCP-47"),
        ("description", {"name": ""}, "name", "required"),
        ("description", {"slug": "Not A Slug!"}, "slug", "not a valid slug"),
        ("terms", {"price": "12.00"}, "price", "A free dataset has no price"),
        ("terms", {"isPaid": "on", "price": "0.50"}, "price", "from 1.00 to"),
        ("terms", {"isPaid": "on", "price": "12.345"}, "price", "2 decimal places"),
        ("terms", {"licenseUrl": "javascript:alert(1)", "licenseAbbreviation": "custom",
                   "customAbbreviation": "X"}, "licenseUrl", "http"),
        ("rights", {"consentBasis": "vibes"}, "consentBasis", "valid choice"),
    ],
)  # fmt: skip
def test_a_bad_field_is_shown_next_to_it_and_nothing_is_saved(
    client, member, step, data, field, message
):
    submission = make_submission(member, submit=False)
    client.force_login(member)
    makers = {"description": description, "terms": terms, "people": people, "rights": rights}
    before = snapshot()
    response = client.post(edit_url(submission, step), makers[step](submission, **data))
    assert response.status_code == 400
    page = response.content.decode()
    error = page.split(f'id="id_{field}_error"')[1].split("</div>")[0]
    assert message in error.replace("&#x27;", "'")
    # The input (or its group of choices) points at its error for screen readers.
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error"', page)
    assert snapshot() == before


def test_a_stale_second_tab_gets_a_clear_error_and_keeps_the_first_tabs_change(client, member):
    submission = make_submission(member, submit=False)
    client.force_login(member)
    url = edit_url(submission, "description")
    tab_one = description(submission, name="From tab one")
    tab_two = description(submission, name="From tab two")  # opened at the same revision
    assert client.post(url, tab_one).status_code == 302
    response = client.post(url, tab_two)
    assert response.status_code == 400
    assert "changed elsewhere" in response.content.decode()
    submission.refresh_from_db()
    assert submission.name == "From tab one"


def test_missing_fields_are_listed_with_links_and_block_submitting(client, member):
    client.force_login(member)
    client.post(reverse("catalog:submission-new"), {"name": "Only a name"})
    submission = Submission.objects.get()
    page = client.get(edit_url(submission, "review")).content.decode()
    for label, link in [
        ("Long description", "?step=description#id_longDescription"),
        ("Point of contact: email", "?step=people#id_pointOfContactEmail"),
        ("Licence", "?step=terms#id_licenseAbbreviation"),
        ("Rights and consent, in your words", "?step=rights#id_rightsStatement"),
    ]:
        assert f'<a href="{link}">{label}</a>' in page
    response = client.post(action_url("submit", submission), {"agreeToSubmit": "on"})
    assert response.status_code == 400
    assert "Fill in the missing fields" in response.content.decode()
    assert Submission.objects.get().status == "draft"


def test_a_paid_draft_without_a_price_lists_the_price_as_missing(client, member):
    submission = make_submission(member, submit=False, **ATTESTED)
    client.force_login(member)
    # "Paid" without a price yet is a valid draft, not an error.
    response = client.post(edit_url(submission, "terms"), terms(submission, isPaid="on"))
    assert response.status_code == 302
    page = client.get(edit_url(submission, "review")).content.decode()
    assert '<a href="?step=terms#id_price">Price in US dollars</a>' in page


def test_the_web_asks_for_the_rights_attestation_before_submitting(client, member):
    submission = make_submission(member, submit=False)  # the API lets this one through
    client.force_login(member)
    response = client.post(action_url("submit", submission), {"agreeToSubmit": "on"})
    assert response.status_code == 400 and "?step=rights#id_rightsStatement" in (
        response.content.decode()
    )
    assert Submission.objects.get().status == "draft"


def test_submitting_needs_the_confirmation_box(client, member):
    submission = make_submission(member, submit=False, **ATTESTED)
    client.force_login(member)
    response = client.post(action_url("submit", submission), {})
    assert response.status_code == 400
    assert 'id="id_agreeToSubmit_error"' in response.content.decode()
    assert Submission.objects.get().status == "draft"


def test_a_sent_submission_is_read_only(client, member):
    submission = make_submission(member, **ATTESTED)
    client.force_login(member)
    page = client.get(edit_url(submission, "description")).content.decode()
    assert 'name="revision"' not in page and "The reviewers have it" in page
    assert "Marie Ilunga" in page  # the summary
    before = snapshot()
    response = client.post(edit_url(submission, "description"), description(submission))
    assert response.status_code == 403 and "can no longer be edited" in response.content.decode()
    assert snapshot() == before


def test_requested_changes_are_shown_with_the_reason(client, member, staff):
    submission = make_submission(member, **ATTESTED)
    review_submission(
        submission, reviewer=staff, decision="request_changes", checklist={}, reason="Add forms."
    )
    client.force_login(member)
    page = client.get(edit_url(submission)).content.decode()
    assert "The reviewers asked for changes" in page and "Add forms." in page
    assert "Submit again" in page  # editable again, and it opens on the summary
    assert 'name="revision"' in client.get(edit_url(submission, "rights")).content.decode()


def test_withdrawing_and_deleting(client, member):
    submitted = make_submission(member, **ATTESTED)
    client.force_login(member)
    page = client.get(edit_url(submitted)).content.decode()
    assert action_url("withdraw", submitted) in page
    assert (
        "Withdraw this submission?"
        in client.get(action_url("withdraw", submitted)).content.decode()
    )
    assert client.post(action_url("withdraw", submitted)).status_code == 302
    assert Submission.objects.get(pk=submitted.pk).status == "retracted"

    draft = make_submission(member, name="Second", submit=False)
    assert action_url("delete", draft) in client.get(edit_url(draft)).content.decode()
    response = client.post(action_url("delete", draft))
    assert response["Location"] == reverse("catalog:submission-list")
    assert Submission.objects.get(pk=draft.pk).deleted_at is not None


def test_a_published_submission_cannot_be_withdrawn(client, member, staff):
    submission = make_submission(member, **ATTESTED)
    review_submission(submission, reviewer=staff, decision="approve", checklist=ALL_TICKED)
    client.force_login(member)
    before = snapshot()
    response = client.post(action_url("withdraw", submission))
    assert response.status_code == 403 and "already published" in response.content.decode()
    assert snapshot() == before


def test_comments_with_htmx_return_the_thread(client, member, django_capture_on_commit_callbacks):
    submission = make_submission(member, **ATTESTED)
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            action_url("comment", submission),
            {"body": "Is the sample enough?"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="comments"')
    assert "Is the sample enough?" in fragment and "<html" not in fragment
    assert Comment.objects.get().author == member
    response = client.post(
        action_url("comment", submission), {"body": "  "}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 400 and 'id="id_body_error"' in response.content.decode()
    assert Comment.objects.count() == 1


def test_staff_see_a_read_only_page_with_a_link_to_review(client, member, staff):
    submission = make_submission(member, **ATTESTED)
    client.force_login(staff)
    page = client.get(edit_url(submission)).content.decode()
    assert reverse("moderation:submission-review", args=[submission.public_id]) in page
    assert 'name="revision"' not in page and 'name="body"' not in page


# --- The whole journey -------------------------------------------------------------------


def test_from_a_draft_to_a_public_dataset(member, staff, django_capture_on_commit_callbacks):
    web, reviewer, visitor = Client(), Client(), Client()
    web.force_login(member)
    reviewer.force_login(staff)

    response = web.post(reverse("catalog:submission-new"), {"name": "Lingala Radio Speech"})
    submission = Submission.objects.get()
    steps = [
        ("description", description(submission, slug="lingala-radio-speech")),
        ("terms", terms(submission)),
        ("people", people(submission)),
        ("rights", rights(submission)),
    ]
    for step, data in steps:
        submission.refresh_from_db()
        data["revision"] = submission.revision
        response = web.post(edit_url(submission, step), {**data, "then": "next"})
        assert response.status_code == 302, response.content.decode()[:1000]
    # After the datasheet, the Files step, then the review.
    assert response["Location"] == edit_url(submission, "files")
    assert 'href="?step=review"' in web.get(response["Location"]).content.decode()
    page = web.get(edit_url(submission, "review")).content.decode()
    assert "Still missing" not in page and "Every speaker signed" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = web.post(action_url("submit", submission), {"agreeToSubmit": "on"})
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["reviewer@example.org"]]
    review_url = reverse("moderation:submission-review", args=[submission.public_id])
    assert review_url in mail.outbox[0].body

    queue = reviewer.get(reverse("moderation:submission-queue")).content.decode()
    assert review_url in queue
    reviewer.post(reverse("moderation:submission-start", args=[submission.public_id]))
    assert Submission.objects.get().status == "in_review"
    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer.post(
            review_url, {"decision": "request_changes", "reason": "Add the consent forms."}
        )
    assert response.status_code == 302
    assert mail.outbox[-1].to == ["member@example.org"]
    assert "Add the consent forms." in mail.outbox[-1].body

    page = web.get(edit_url(submission)).content.decode()
    assert "Add the consent forms." in page
    submission.refresh_from_db()
    response = web.post(
        edit_url(submission, "rights"),
        rights(submission, rightsStatement="Consent forms are attached to the archive."),
    )
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        web.post(action_url("submit", submission), {"agreeToSubmit": "on"})
    assert Submission.objects.get().status == "submitted"
    assert mail.outbox[-1].to == ["reviewer@example.org"]

    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer.post(review_url, {"decision": "approve", "checklist": list(ALL_TICKED)})
    dataset = Dataset.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:dataset-detail", args=[dataset.public_id])
    assert Submission.objects.get().status == "approved"

    public = visitor.get("/datasets/lingala-radio-speech")
    assert public.status_code == 200 and "Lingala Radio Speech" in public.content.decode()
    listed = visitor.get("/api/datasets").json()
    assert [item["id"] for item in listed["items"]] == [dataset.public_id]
    # Once published, the organization's page says so and offers nothing to edit.
    page = web.get(edit_url(submission)).content.decode()
    assert "See the published dataset" in page and 'name="revision"' not in page


def test_the_list_costs_the_same_queries_for_one_or_many(client, member, organization):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(member)
    make_submission(member, submit=False)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("catalog:submission-list"))
    dataset = make_dataset(organization, slug="lingala-radio")
    for name in ("Second", "Third"):
        make_submission(member, name=name, submit=False)
    from steward.catalog.services import create_submission

    create_submission(member, data={"name": "Version two"}, dataset=dataset)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("catalog:submission-list"))
    assert len(response.context["submissions"]) == 4
    assert len(many) == len(one)
