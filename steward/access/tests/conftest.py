"""Datasets of each visibility with real archive bytes, and API keys for the personas."""

import pytest

from steward.catalog.tests.factories import make_dataset

# Larger than one read block of the download view, so streaming takes several reads.
ARCHIVE = bytes(range(256)) * 2500
SAMPLE = b"sample bytes " * 100


@pytest.fixture
def datasets(organization):
    """One public, one restricted and one private dataset, each with an archive and a sample."""
    return {
        visibility: make_dataset(
            organization,
            slug=f"{visibility}-speech",
            name=f"Lingala {visibility} speech",
            archive=ARCHIVE,
            sample=SAMPLE,
            visibility=visibility,
        )
        for visibility in ("public", "restricted", "private")
    }
