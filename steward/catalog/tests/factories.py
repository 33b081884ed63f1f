"""Catalogue test data, made through the same services the product uses."""

import io
from typing import Any

from steward.catalog.datasheet import clean_datasheet
from steward.catalog.models import Dataset
from steward.catalog.services import VersionFiles, publish_dataset
from steward.organizations.models import Organization
from steward.storage.services import store_blob


def make_sheet(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Lingala Radio Speech",
        "shortDescription": "Read speech from a community radio.",
        "longDescription": "Twelve hours of read speech recorded in Kinshasa.",
        "locale": "ln",
        "task": "ASR",
        "format": "WAV",
        "licenseAbbreviation": "CC-BY-4.0",
        "visibility": "public",
    }
    data.update(overrides)
    return clean_datasheet(data)


def make_dataset(
    organization: Organization,
    *,
    slug: str | None = None,
    archive: bytes | None = None,
    sample: bytes | None = None,
    usage_policy: dict[str, Any] | None = None,
    **sheet: Any,
) -> Dataset:
    files = VersionFiles()
    name = slug or "dataset"
    if archive is not None:
        files.archive = store_blob(
            io.BytesIO(archive),
            prefix="test",
            filename=f"{name}.tar.gz",
            content_type="application/gzip",
        )
        files.archive_name = f"{name}.tar.gz"
    if sample is not None:
        files.sample = store_blob(
            io.BytesIO(sample),
            prefix="test",
            filename=f"{name}-sample.tar.gz",
            content_type="application/gzip",
        )
        files.sample_name = f"{name}-sample.tar.gz"
    return publish_dataset(
        organization,
        sheet=make_sheet(**sheet),
        slug=slug,
        files=files,
        usage_policy=usage_policy,
    )
