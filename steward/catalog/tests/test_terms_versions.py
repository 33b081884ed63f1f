"""A new version of a dataset starts from the terms in force, custom licences included."""

import pytest

from steward.catalog.services import create_submission
from steward.catalog.tests.factories import make_dataset

pytestmark = pytest.mark.django_db


def test_a_new_version_of_a_custom_licence_dataset_keeps_its_terms(organization, owner):
    dataset = make_dataset(
        organization,
        slug="custom",
        licenseAbbreviation="Community-1.0",
        license="Kinshasa Community Licence",
        usage_policy={
            "purposes": ["research"],
            "licence": {
                "commercialUse": False,
                "shareAlike": True,
                "text": "Use with respect; share back what you build.",
            },
        },
    )
    terms = dataset.usage_policy.current.terms
    assert (terms.licence.commercial_use, terms.licence.share_alike) == (False, True)

    draft = create_submission(owner, data={"name": "Custom, version 2"}, dataset=dataset)

    assert draft.usage_policy["purposes"] == ["research"]
    assert draft.usage_policy["licence"]["commercialUse"] is False
    assert draft.usage_policy["licence"]["text"] == "Use with respect; share back what you build."
    assert terms.licence.text == "Use with respect; share back what you build."


def test_bad_custom_licence_facts_name_their_field(organization):
    from steward.catalog.terms import TermsError

    for licence, field in [
        ({"commercialUse": "no"}, "usagePolicy.licence.commercialUse"),
        ({"commercial_use": False}, "usagePolicy.licence.commercial_use"),
        ("CC-BY", "usagePolicy.licence"),
    ]:
        with pytest.raises(TermsError) as error:
            make_dataset(
                organization,
                slug="custom-bad",
                licenseAbbreviation="Community-1.0",
                usage_policy={"licence": licence},
            )
        assert error.value.field == field


def test_the_page_shows_a_custom_licence_text(client, organization):
    dataset = make_dataset(
        organization,
        slug="custom-text",
        licenseAbbreviation="Community-1.0",
        license="Kinshasa Community Licence",
        usage_policy={"licence": {"text": "Article 1. Respect the speakers."}},
    )
    page = client.get(f"/datasets/{dataset.public_id}").content.decode()
    assert "Article 1. Respect the speakers." in page
