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
            "licence": {"commercial_use": False, "share_alike": True},
        },
    )
    terms = dataset.usage_policy.current.terms
    assert (terms.licence.commercial_use, terms.licence.share_alike) == (False, True)

    draft = create_submission(owner, data={"name": "Custom, version 2"}, dataset=dataset)

    assert draft.usage_policy["purposes"] == ["research"]
    assert draft.usage_policy["licence"]["commercial_use"] is False
