"""The terms of use on the web: the submission's terms step, and the Terms page of a published
dataset, which makes new policy versions for future requests only."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from steward.access.models import Grant
from steward.access.services import request_access
from steward.audit.models import AuditEvent
from steward.catalog.models import Dataset, Submission
from steward.catalog.services import change_terms, submit_submission
from steward.catalog.tests.factories import make_dataset
from steward.catalog.tests.submission_factories import make_submission, terms
from steward.lib.errors import Forbidden
from steward.licensing.engine import Approval, GeographyMode, OrganizationType, Purpose
from steward.licensing.models import PolicyVersion
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
# "Free for researchers in Africa, 250 USD for companies elsewhere, 100 USD for the rest."
POLICY_FIELDS = {
    "attribution": "Radio Kinshasa Community, 2025",
    "purposes": ["education", "research"],
    "geographyMode": "deny",
    "geographyPlaces": ["US", "EU"],
    "isPaid": "on",
    "price": "100.00",
    "rule1Purposes": ["research"],
    "rule1Places": ["AFRICA"],
    "rule1Where": "inside",
    "rule1Price": "0",
    "rule2Places": ["AFRICA"],
    "rule2Where": "outside",
    "rule2OrganizationTypes": ["company"],
    "rule2Price": "250",
    "approval": "manual",
    "guardiansRequired": "2",
    "verifiedOrganizationRequired": "on",
    "grantDays": "365",
    "renewalReportRequired": "on",
    "questions": "What will you build?\nWho funds the work? (optional)\n",
    "additionalConditions": "No voice cloning.",
}
EXPECTED_DOCUMENT = {
    "attribution": "Radio Kinshasa Community, 2025",
    "purposes": ["research", "education"],
    "geography": {"mode": "deny", "places": ["EU", "US"]},
    "pricing": {
        "currency": "usd",
        "basePriceCents": 10000,
        "rules": [
            {"purposes": ["research"], "places": ["AFRICA"], "outsidePlaces": False,
             "organizationTypes": [], "priceCents": 0},
            {"purposes": [], "places": ["AFRICA"], "outsidePlaces": True,
             "organizationTypes": ["company"], "priceCents": 25000},
        ],
    },
    "approval": "manual",
    "requestRequired": False,
    "guardiansRequired": 2,
    "grantDays": 365,
    "renewalReportRequired": True,
    "verifiedOrganizationRequired": True,
    "questions": [
        {"id": "q1", "text": "What will you build?", "required": True},
        {"id": "q2", "text": "Who funds the work?", "required": False},
    ],
    "conditions": "No voice cloning.",
    "rules": [],
}  # fmt: skip
REQUEST = {
    "purpose": "research",
    "country": "KE",
    "organizationType": "academic",
    "acceptTerms": True,
}


def edit_url(submission, step: str = "") -> str:
    url = reverse("catalog:submission-edit", args=[submission.public_id])
    return f"{url}?step={step}" if step else url


def terms_url(dataset) -> str:
    return reverse("catalog:dataset-terms", args=[dataset.public_id])


def error_of(page: str, field: str) -> str:
    """The text of a field's error message on a rendered form."""
    assert f'id="id_{field}_error"' in page, f"no error on {field}"
    return page.split(f'id="id_{field}_error"')[1].split("</div>")[0].replace("&#x27;", "'")


def client_for(persona: str, request) -> Client:
    client = Client()
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    return client


# --- The submission's terms step ---------------------------------------------------------


def test_the_terms_step_saves_the_policy_and_publication_puts_it_in_force(client, member, staff):
    submission = make_submission(member, submit=False, **ATTESTED)
    client.force_login(member)
    response = client.post(edit_url(submission, "terms"), terms(submission, **POLICY_FIELDS))
    assert response.status_code == 302, response.content.decode()[:2000]

    submission.refresh_from_db()
    assert submission.usage_policy == EXPECTED_DOCUMENT
    # The MDC fields the terms cover say the same thing.
    sheet = submission.datasheet
    assert sheet["is_paid"] is True and sheet["base_price_cents"] == 10000
    assert sheet["additional_conditions"] == "No voice cloning."

    submit_submission(submission, actor=member, agree_to_submit=True)
    review_submission(submission, reviewer=staff, decision="approve", checklist=ALL_TICKED)
    dataset = Dataset.objects.get()
    version = dataset.usage_policy.current
    assert version.number == 1
    policy = version.terms
    assert policy.purposes == {Purpose.RESEARCH, Purpose.EDUCATION}
    assert policy.geography.mode == GeographyMode.DENY
    assert policy.geography.places == {"EU", "US"}
    assert policy.base_price_cents == 10000
    assert [rule.price_cents for rule in policy.price_rules] == [0, 25000]
    assert policy.price_rules[1].audience.organization_types == {OrganizationType.COMPANY}
    assert policy.price_rules[1].audience.outside_places is True
    assert policy.approval == Approval.MANUAL and policy.guardians_required == 2
    assert policy.grant_days == 365 and policy.renewal_report_required
    assert [(q.id, q.required) for q in policy.questions] == [("q1", True), ("q2", False)]
    assert dataset.is_paid and dataset.base_price_cents == 10000


def test_the_terms_step_is_filled_in_from_the_saved_policy(client, member):
    submission = make_submission(member, submit=False)
    client.force_login(member)
    client.post(edit_url(submission, "terms"), terms(submission, **POLICY_FIELDS))
    page = client.get(edit_url(submission, "terms")).content.decode()
    assert re.search(r'name="geographyMode" value="deny"[^>]*checked', page)
    assert re.search(r'name="purposes" value="research"[^>]*checked', page)
    assert re.search(r'name="rule2OrganizationTypes" value="company"[^>]*checked', page)
    assert re.search(r'name="rule2Where" value="outside"[^>]*checked', page)
    assert re.search(r'name="approval" value="manual"[^>]*checked', page)
    assert '<option value="EU" selected>European Union</option>' in page
    # Countries are listed by name.
    assert '<option value="US" selected>United States</option>' in page
    assert 'name="rule2Price" value="250.00"' in page
    assert "Who funds the work? (optional)</textarea>" in page
    # One control per idea: the MDC auto-approve box gives way to the terms' approval.
    assert 'name="autoApproveAccessRequests"' not in page
    assert page.count('name="additionalConditions"') == 1


def test_the_review_step_reads_the_terms_back_in_plain_words(client, member):
    submission = make_submission(member, submit=False)
    client.force_login(member)
    client.post(edit_url(submission, "terms"), terms(submission, **POLICY_FIELDS))
    page = client.get(edit_url(submission, "review")).content.decode()
    assert "Terms of use, in plain words" in page
    assert "Not available in: the European Union and United States." in page
    assert "Free for users in Africa using it for research; USD 250.00 for companies" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        # Refused by the policy (licensing/document.py), shown on the field that edits it.
        ({"geographyMode": "allow"}, "geographyPlaces", "name at least one country or region"),
        ({"rule1Purposes": ["research"], "rule1Where": "outside", "rule1Price": "0"},
         "rule1Places", "needs at least one place"),
        # Rule 1 unused: the policy's rules[0] is the form's rule 2.
        ({"rule2Purposes": ["research"], "rule2Where": "outside", "rule2Price": "0"},
         "rule2Places", "needs at least one place"),
        ({"questions": "x" * 501}, "questions", "Question 1: at most 500 characters"),
        ({"questions": "Fine?\n" + "y" * 501}, "questions", "Question 2: at most 500"),
        # Refused by the form.
        ({"geographyMode": "deny", "geographyPlaces": ["XX"]}, "geographyPlaces", "valid choice"),
        ({"guardiansRequired": "21"}, "guardiansRequired", "less than or equal to 20"),
        ({"guardiansRequired": "0"}, "guardiansRequired", "greater than or equal to 1"),
        ({"grantDays": "0"}, "grantDays", "greater than or equal to 1"),
        ({"rule1Purposes": ["research"]}, "rule1Price", "Give this price, or 0 for free"),
        ({"rule1Purposes": ["research"], "rule1Price": "0.50"}, "rule1Price", "Enter 0 for free"),
        ({"rule3Price": "10"}, "rule3Purposes", "Say who this price is for"),
        ({"approval": "sometimes"}, "approval", "valid choice"),
        ({"attribution": "x" * 7501}, "attribution", "at most 7500 characters"),
        ({"price": "12.00"}, "price", "A free dataset has no price"),
    ],
)  # fmt: skip
def test_a_bad_term_is_shown_next_to_its_field_and_nothing_is_saved(
    client, member, data, field, message
):
    submission = make_submission(member, submit=False)
    client.force_login(member)
    before = list(Submission.objects.values())
    response = client.post(edit_url(submission, "terms"), terms(submission, **data))
    assert response.status_code == 400
    page = response.content.decode()
    assert message in error_of(page, field)
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error"', page)
    assert list(Submission.objects.values()) == before


def test_questions_keep_their_ids_while_their_text_stays(client, member):
    submission = make_submission(member, submit=False)
    client.force_login(member)
    client.post(edit_url(submission, "terms"), terms(submission, questions="A?\nB? (optional)"))
    submission.refresh_from_db()
    client.post(edit_url(submission, "terms"), terms(submission, questions="B? (optional)\nC?"))
    submission.refresh_from_db()
    # B keeps q2 although it moved; the new question never takes an id in use.
    assert submission.usage_policy["questions"] == [
        {"id": "q2", "text": "B?", "required": False},
        {"id": "q3", "text": "C?", "required": True},
    ]


def test_a_post_without_the_terms_fields_gets_default_terms_and_keeps_the_approval(client, member):
    """An older page or a script that posts none of the terms' fields gets the defaults; the
    approval, a choice with no empty answer, stays as it was."""
    submission = make_submission(member, submit=False)
    client.force_login(member)
    client.post(edit_url(submission, "terms"), terms(submission, approval="manual"))
    submission.refresh_from_db()
    assert client.post(edit_url(submission, "terms"), terms(submission)).status_code == 302
    submission.refresh_from_db()
    doc = submission.usage_policy
    assert doc["approval"] == "manual" and doc["geography"] == {"mode": "anywhere", "places": []}
    assert doc["pricing"] == {"currency": "usd", "basePriceCents": 0, "rules": []}
    assert doc["questions"] == [] and doc["grantDays"] is None


# --- The Terms page of a published dataset -----------------------------------------------


@pytest.fixture
def dataset(organization):
    return make_dataset(organization, slug="lingala", usage_policy={"approval": "automatic"})


def new_terms(**overrides) -> dict:
    data = {
        "attribution": "Radio Kinshasa Community",
        "geographyMode": "anywhere",
        "isPaid": "on",
        "price": "250.00",
        "approval": "manual",
        "guardiansRequired": "1",
        "questions": "",
        "conditions": "",
    }
    return {**data, **overrides}


# persona -> status of GET and POST
PERSONAS = {
    "owner": (200, 302),
    "admin": (200, 302),
    "member": (403, 403),
    "outsider": (403, 403),
    "staff": (403, 403),
    "anonymous": (302, 302),
}


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_only_owners_and_admins_change_the_terms(request, dataset, persona):
    client = client_for(persona, request)
    get, post = PERSONAS[persona]
    response = client.get(terms_url(dataset))
    assert response.status_code == get
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))
    response = client.post(terms_url(dataset), new_terms())
    assert response.status_code == post
    expected_versions = 2 if post == 302 and persona != "anonymous" else 1
    assert PolicyVersion.objects.count() == expected_versions


def test_a_private_dataset_s_terms_page_is_not_found_by_outsiders(client, organization, outsider):
    private = make_dataset(organization, slug="secret", visibility="private")
    client.force_login(outsider)
    assert client.get(terms_url(private)).status_code == 404
    assert client.post(terms_url(private), new_terms()).status_code == 404


def test_the_terms_page_shows_the_terms_in_force_and_their_versions(client, owner, dataset):
    client.force_login(owner)
    page = client.get(terms_url(dataset)).content.decode()
    assert "In force now: version 1" in page and "Free." in page
    assert "keep the version they accepted" in page
    assert re.search(r'name="approval" value="automatic"[^>]*checked', page)
    # Published by the review, not by a person.
    assert "Published with a version of the dataset" in page


def test_new_terms_apply_to_new_requests_and_a_grant_keeps_its_version(
    client, owner, outsider, dataset
):
    grant_request = request_access(dataset, user=outsider, data=REQUEST)
    grant = Grant.objects.get(request=grant_request)
    assert grant.policy_version.number == 1

    client.force_login(owner)
    response = client.post(terms_url(dataset), new_terms())
    assert response.status_code == 302 and response["Location"] == terms_url(dataset)

    dataset.refresh_from_db()
    current = dataset.usage_policy.current
    assert current.number == 2 and current.created_by == owner
    assert current.terms.base_price_cents == 25000
    assert current.terms.approval == Approval.MANUAL
    # The catalogue's MDC columns follow the terms.
    assert dataset.is_paid and dataset.base_price_cents == 25000 and dataset.currency == "usd"
    grant.refresh_from_db()
    assert grant.policy_version.number == 1 and grant.policy_version.terms.base_price_cents == 0
    event = AuditEvent.objects.get(action="catalog.dataset.terms_changed")
    assert event.actor == owner and event.data == {"version": 2}

    page = client.get(terms_url(dataset)).content.decode()
    assert "Saved as version 2 of the terms" in page
    assert "In force now: version 2" in page and "Price: USD 250.00." in page
    history = page.split('id="history-heading"')[1]
    assert history.index(">2 <strong>") < history.index(">1</td>")
    assert owner.username in history


def test_saving_the_same_terms_makes_no_new_version(client, owner, dataset):
    client.force_login(owner)
    client.post(terms_url(dataset), new_terms())
    response = client.post(terms_url(dataset), new_terms())
    assert response.status_code == 302
    assert PolicyVersion.objects.count() == 2
    assert AuditEvent.objects.filter(action="catalog.dataset.terms_changed").count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"price": ""}, "price", "Enter the price"),
        ({"geographyMode": "allow"}, "geographyPlaces", "name at least one country or region"),
        ({"rule1Purposes": ["research"], "rule1Where": "outside", "rule1Price": "0"},
         "rule1Places", "needs at least one place"),
        ({"conditions": "x" * 7501}, "conditions", "at most 7500 characters"),
    ],
)  # fmt: skip
def test_bad_terms_are_shown_on_their_field_and_make_no_version(
    client, owner, dataset, data, field, message
):
    client.force_login(owner)
    response = client.post(terms_url(dataset), new_terms(**data))
    assert response.status_code == 400
    assert message in error_of(response.content.decode(), field)
    assert PolicyVersion.objects.count() == 1
    dataset.refresh_from_db()
    assert not dataset.is_paid


def test_requests_required_make_the_dataset_restricted_but_a_private_one_stays_private(
    owner, organization, dataset
):
    change_terms(dataset, actor=owner, usage_policy={"requestRequired": True})
    dataset.refresh_from_db()
    assert dataset.visibility == "restricted"
    change_terms(dataset, actor=owner, usage_policy={"requestRequired": False})
    dataset.refresh_from_db()
    assert dataset.visibility == "public"

    private = make_dataset(organization, slug="secret", visibility="private")
    change_terms(private, actor=owner, usage_policy={"requestRequired": False})
    private.refresh_from_db()
    assert private.visibility == "private"


def test_the_service_refuses_members_without_the_capability(member, dataset):
    with pytest.raises(Forbidden):
        change_terms(dataset, actor=member, usage_policy={"grantDays": 30})
    assert PolicyVersion.objects.count() == 1


def test_keys_left_out_keep_their_value_and_a_custom_licence_keeps_its_facts(owner, organization):
    dataset = make_dataset(
        organization,
        slug="own-licence",
        licenseAbbreviation="KIN-1.0",
        license="Kinshasa Community Licence",
        usage_policy={"licence": {"commercialUse": False}, "grantDays": 90},
    )
    version = change_terms(dataset, actor=owner, usage_policy={"attribution": "Radio Kinshasa"})
    assert version.number == 2
    assert version.terms.grant_days == 90 and version.terms.attribution == "Radio Kinshasa"
    assert version.terms.licence.commercial_use is False


def test_a_manager_finds_the_terms_page_from_the_published_submission(client, owner, staff):
    submission = make_submission(owner, **ATTESTED)
    review_submission(submission, reviewer=staff, decision="approve", checklist=ALL_TICKED)
    client.force_login(owner)
    page = client.get(edit_url(submission)).content.decode()
    submission.refresh_from_db()
    assert terms_url(submission.dataset) in page


# --- Local Contexts labels on the form ----------------------------------------------------


def test_labels_are_chosen_on_the_form_and_carry_their_rules(client, member):
    submission = make_submission(member, submit=False, **ATTESTED)
    client.force_login(member)
    fields = {
        **POLICY_FIELDS,
        "label1Id": "tk-non-commercial",
        "label1Community": "Lingala speakers of Kinshasa",
        "label1Text": "Our stories are not for sale.",
        "label2Id": "bc-provenance",
        "label2Community": "Radio Kinshasa Community",
    }
    response = client.post(edit_url(submission, "terms"), terms(submission, **fields))
    assert response.status_code == 302, response.content.decode()[:2000]
    submission.refresh_from_db()
    assert submission.usage_policy["labels"] == [
        {
            "id": "tk-non-commercial",
            "community": "Lingala speakers of Kinshasa",
            "text": "Our stories are not for sale.",
        },
        {"id": "bc-provenance", "community": "Radio Kinshasa Community", "text": ""},
    ]
    page = client.get(edit_url(submission, "terms")).content.decode()
    assert "Our stories are not for sale." in page


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"label1Id": "tk-non-commercial"}, "label1Community"),
        ({"label1Community": "Someone"}, "label1Id"),
        ({"label1Id": "tk-invented", "label1Community": "Someone"}, "label1Id"),
    ],
)
def test_a_bad_label_is_a_form_error(client, member, fields, field):
    submission = make_submission(member, submit=False, **ATTESTED)
    before = dict(submission.usage_policy)
    client.force_login(member)
    response = client.post(edit_url(submission, "terms"), terms(submission, **fields))
    assert response.status_code == 400
    assert error_of(response.content.decode(), field)
    submission.refresh_from_db()
    assert submission.usage_policy == before


def test_a_custom_licence_gets_its_text_and_facts_on_the_form(client, member):
    submission = make_submission(
        member,
        submit=False,
        licenseAbbreviation="Kinshasa-1.0",
        license="Kinshasa Community Licence",
        **ATTESTED,
    )
    client.force_login(member)
    fields = {
        **POLICY_FIELDS,
        "licenseAbbreviation": "custom",
        "customAbbreviation": "Kinshasa-1.0",
        "license": "Kinshasa Community Licence",
        "licenceText": "1. Use the recordings with respect.",
        "licenceCommercialUse": "no",
        "licenceShareAlike": "yes",
    }
    response = client.post(edit_url(submission, "terms"), terms(submission, **fields))
    assert response.status_code == 302, response.context["form"].errors
    submission.refresh_from_db()
    assert submission.usage_policy["licence"] == {
        "text": "1. Use the recordings with respect.",
        "attribution": True,
        "commercialUse": False,
        "derivatives": True,
        "shareAlike": True,
    }
