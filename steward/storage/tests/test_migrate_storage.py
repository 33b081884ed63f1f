"""`steward migrate-storage`: every file moves between the local folder and S3 (moto's
server), each copy checked, while reads and uploads keep working."""

import io
import json
import os

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command

from steward.catalog.tests.factories import make_dataset
from steward.storage import objectstore, services
from steward.storage.models import Blob, Upload

from .uploads import send_part, sha256

pytestmark = pytest.mark.django_db

CONTENTS = [os.urandom(3000), os.urandom(70_000), b"a small file"]


@pytest.fixture(autouse=True)
def _home(settings, tmp_path):
    # The command keeps its journal of verified copies in STEWARD_HOME.
    settings.STEWARD_HOME = tmp_path / "home"


def store_files() -> list[Blob]:
    """Files stored the way Steward stores them, in the store configured now."""
    return [
        services.store_blob(
            io.BytesIO(data), prefix="test", filename=f"f{i}.tar.gz", content_type="x/y"
        )
        for i, data in enumerate(CONTENTS)
    ]


def read(key: str) -> bytes:
    with objectstore.get_store().open(key) as f:
        return f.read()


def migrate(*args: str) -> dict:
    out = io.StringIO()
    call_command("migrate_storage", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def in_bucket(s3, settings, key: str) -> bytes | None:
    try:
        return s3.get_object(Bucket=settings.STEWARD_S3_BUCKET, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None


def test_local_to_s3_moves_every_file_while_reads_go_on(request, settings):
    blobs = store_files()
    local = objectstore.local_store()
    s3 = request.getfixturevalue("s3_storage")
    # The switch: S3 settings, with the local folder behind them until the move is done.
    settings.STEWARD_STORAGE_MIGRATING_FROM = "local"
    assert objectstore.get_store().kind == "s3"
    assert [read(b.key) for b in blobs] == CONTENTS  # nothing is in S3 yet
    assert in_bucket(s3, settings, blobs[0].key) is None

    report = migrate("--to", "s3")

    assert report["copied"] == 3 and report["files"] == 3 and report["problems"] == []
    assert report["bytes"] == sum(len(c) for c in CONTENTS)
    assert "Remove STEWARD_STORAGE_MIGRATING_FROM" in report["next_step"]
    assert [in_bucket(s3, settings, b.key) for b in blobs] == CONTENTS
    # The source is kept until the operator asks for it to go.
    assert all(local.exists(b.key) for b in blobs)

    again = migrate("--to", "s3")
    assert (again["copied"], again["already_verified"]) == (0, 3)

    deleted = migrate("--to", "s3", "--delete-source")
    assert deleted["deleted"] == 3
    assert not any(local.exists(b.key) for b in blobs)
    assert not (local.root / "test").exists()  # emptied folders go too
    assert [read(b.key) for b in blobs] == CONTENTS


def test_s3_to_local_before_and_after_the_switch(s3_storage, settings):
    blobs = store_files()
    local = objectstore.local_store()

    # Copied while the site still reads S3: nothing changes for it.
    early = migrate("--to", "local")
    assert early["copied"] == 3
    assert "STEWARD_STORAGE_MIGRATING_FROM=s3" in early["next_step"]
    assert objectstore.get_store().kind == "s3"

    settings.STEWARD_STORAGE_MIGRATING_FROM = "s3"
    late = services.store_blob(io.BytesIO(b"stored after the switch"), prefix="test",
                               filename="late.tar.gz", content_type="x/y")  # fmt: skip
    assert local.exists(late.key) and in_bucket(s3_storage, settings, late.key) is None

    report = migrate("--to", "local", "--delete-source")

    assert (report["already_verified"], report["present"], report["deleted"]) == (3, 1, 3)
    assert [local.path(b.key).read_bytes() for b in blobs] == CONTENTS
    listed = s3_storage.list_objects_v2(Bucket=settings.STEWARD_S3_BUCKET)
    assert listed["KeyCount"] == 0
    assert [read(b.key) for b in blobs] == CONTENTS


def test_a_download_is_served_from_either_store_during_the_move(
    request, settings, client, organization, member, auth_for
):
    archive = os.urandom(50_000)
    dataset = make_dataset(organization, slug="moving", archive=archive)
    auth = auth_for(member)
    request.getfixturevalue("s3_storage")
    settings.STEWARD_STORAGE_MIGRATING_FROM = "local"

    def download():
        link = client.post(f"/api/datasets/{dataset.public_id}/download", **auth).json()
        return client.get(link["downloadUrl"])

    # Not in S3 yet: Steward streams it from the local folder.
    response = download()
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == archive

    migrate("--to", "s3", "--delete-source")

    # Now S3 serves it, through a signed link to the bucket.
    response = download()
    assert response.status_code == 302
    assert requests.get(response["Location"], timeout=30).content == archive


def test_an_upload_begun_before_the_switch_finishes_after_it(request, settings, client, owner):
    data = os.urandom(4000)
    upload = services.start_upload(
        owner,
        reference="csubmission",
        purpose="archive",
        filename="speech.tar.gz",
        size_bytes=len(data),
        mime_type="application/gzip",
    )
    request.getfixturevalue("s3_storage")
    settings.STEWARD_STORAGE_MIGRATING_FROM = "local"

    etag = send_part(client, upload, 1, data)  # to Steward's own part URL, as before
    upload = services.complete_upload(
        upload, parts=[{"partNumber": 1, "etag": etag}], checksum=sha256(data)
    )
    assert upload.status == Upload.Status.COMPLETED
    assert read(upload.key) == data

    # A new upload goes to S3, through the bucket's own signed part URLs.
    fresh = services.start_upload(
        owner,
        reference="csubmission",
        purpose="archive",
        filename="next.tar.gz",
        size_bytes=10,
        mime_type="application/gzip",
    )
    assert services.part_url(fresh, 1).startswith(settings.STEWARD_S3_ENDPOINT)

    assert migrate("--to", "s3")["copied"] == 1
    assert objectstore.s3_store().exists(upload.key)


def test_a_wrong_copy_already_in_the_target_is_replaced(s3_storage):
    blob = store_files()[1]
    local = objectstore.local_store()
    # Same size, other bytes: only reading the copy tells it apart.
    local.put(blob.key, io.BytesIO(os.urandom(blob.size_bytes)))

    report = migrate("--to", "local")

    assert (report["copied"], report["present"], report["problems"]) == (3, 0, [])
    assert local.path(blob.key).read_bytes() == CONTENTS[1]


def test_a_damaged_source_file_is_reported_and_nothing_is_deleted(request, settings):
    blobs = store_files()
    local = objectstore.local_store()
    local.path(blobs[0].key).write_bytes(b"X" * len(CONTENTS[0]))
    s3 = request.getfixturevalue("s3_storage")
    settings.STEWARD_STORAGE_MIGRATING_FROM = "local"

    out = io.StringIO()
    with pytest.raises(CommandError, match="1 file"):
        call_command("migrate_storage", "--to", "s3", "--delete-source", "--json", stdout=out)

    report = json.loads(out.getvalue())
    assert len(report["problems"]) == 1
    assert blobs[0].key in report["problems"][0] and blobs[0].sha256 in report["problems"][0]
    assert report["next_step"] == "" and report["deleted"] == 0
    assert in_bucket(s3, settings, blobs[0].key) is None  # the bad copy is not kept
    assert all(local.exists(b.key) for b in blobs)


def test_recheck_finds_a_verified_copy_damaged_since(s3_storage):
    blob = store_files()[0]
    migrate("--to", "local")
    copy = objectstore.local_store().path(blob.key)
    copy.write_bytes(os.urandom(blob.size_bytes))

    # Without --recheck, a copy verified before and of the right size is trusted.
    assert migrate("--to", "local")["already_verified"] == 3
    report = migrate("--to", "local", "--recheck")

    assert (report["copied"], report["present"]) == (1, 2)
    assert copy.read_bytes() == CONTENTS[0]


def test_delete_source_reads_every_copy_again_before_deleting_its_source(request, settings):
    blobs = store_files()
    local = objectstore.local_store()
    s3 = request.getfixturevalue("s3_storage")
    settings.STEWARD_STORAGE_MIGRATING_FROM = "local"
    assert migrate("--to", "s3")["copied"] == 3
    # Same size, other bytes, after the copy was verified: only reading it tells.
    damaged = blobs[1]
    s3.put_object(
        Bucket=settings.STEWARD_S3_BUCKET, Key=damaged.key, Body=os.urandom(damaged.size_bytes)
    )

    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was deleted"):
        call_command("migrate_storage", "--to", "s3", "--delete-source", "--json", stdout=out)

    report = json.loads(out.getvalue())
    assert report["problems"] == [
        f"{damaged.key}: the copy an earlier run verified in the s3 store is missing or changed "
        "since, so no file was deleted from local (it is copied again)"
    ]
    assert (report["already_verified"], report["copied"], report["deleted"]) == (2, 1, 0)
    assert [local.path(b.key).read_bytes() for b in blobs] == CONTENTS
    assert in_bucket(s3, settings, damaged.key) == CONTENTS[1]

    # Copied again and verified, it no longer holds the sources back.
    again = migrate("--to", "s3", "--delete-source")
    assert (again["already_verified"], again["deleted"], again["problems"]) == (3, 3, [])
    assert [read(b.key) for b in blobs] == CONTENTS


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_an_object_is_hashed_in_chunks_as_it_is_read(request, backend):
    # Three chunks and a bit, so that the chunks' boundaries matter.
    data = os.urandom(3 * objectstore.CHUNK_SIZE + 17)
    if backend == "s3":
        request.getfixturevalue("s3_storage")
    store = objectstore.store_of_kind(backend)
    store.put("test/chunks.bin", io.BytesIO(data))

    assert objectstore.hash_object(store, "test/chunks.bin") == (len(data), sha256(data))
    assert objectstore.hash_stream(io.BytesIO(b"")) == (0, sha256(b""))
    with pytest.raises(objectstore.StorageError):
        objectstore.hash_object(store, "test/missing.bin")


def test_delete_source_is_refused_while_the_site_reads_the_source(s3_storage, settings):
    blobs = store_files()  # in S3, the store this configuration uses

    with pytest.raises(CommandError, match="STEWARD_STORAGE_MIGRATING_FROM"):
        migrate("--to", "local", "--delete-source")

    assert all(in_bucket(s3_storage, settings, b.key) for b in blobs)
    assert not any(objectstore.local_store().exists(b.key) for b in blobs)


def test_moving_to_s3_needs_a_bucket():
    store_files()
    with pytest.raises(CommandError, match="STEWARD_S3_BUCKET"):
        migrate("--to", "s3")


def test_an_unknown_target_is_refused():
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("migrate_storage", "--to", "ftp")


@pytest.mark.parametrize(("value", "bucket"), [("disk", "b"), ("local", "")])
def test_a_migration_setting_that_cannot_work_is_a_configuration_error(settings, value, bucket):
    settings.STEWARD_STORAGE_MIGRATING_FROM = value
    settings.STEWARD_S3_BUCKET = bucket
    with pytest.raises(ImproperlyConfigured, match="STEWARD_STORAGE_MIGRATING_FROM"):
        objectstore.get_store()
