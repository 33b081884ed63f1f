"""Both storage backends behave alike: whole objects and multipart uploads."""

import hashlib
import io

import pytest
import requests

from steward.storage.objectstore import LocalStore, StorageError, get_store


def test_put_open_size_delete(storage_backend):
    store = get_store()
    size, sha = store.put("a/b/data.tar.gz", io.BytesIO(b"hello" * 1000))
    assert size == 5000 and sha == hashlib.sha256(b"hello" * 1000).hexdigest()
    assert store.exists("a/b/data.tar.gz") and store.size("a/b/data.tar.gz") == 5000
    with store.open("a/b/data.tar.gz") as f:
        assert f.read() == b"hello" * 1000
    store.delete("a/b/data.tar.gz")
    assert not store.exists("a/b/data.tar.gz")
    with pytest.raises(StorageError):
        store.size("a/b/data.tar.gz")


def _put_part(store, key, upload_id, number, data):
    url = store.part_upload_url(key, upload_id, number, 600)
    if url is None:
        return store.write_part(upload_id, number, io.BytesIO(data), len(data)).etag
    response = requests.put(url, data=data, timeout=30)
    assert response.status_code == 200, response.text
    return response.headers["ETag"].strip('"')


def test_multipart_upload_joins_parts_in_order(storage_backend):
    store = get_store()
    key = "uploads/x/big.tar.gz"
    first, second = b"a" * (5 * 1024 * 1024), b"tail"
    upload_id = store.create_multipart(key)
    etag2 = _put_part(store, key, upload_id, 2, second)  # parts arrive out of order
    etag1 = _put_part(store, key, upload_id, 1, first)
    if storage_backend == "s3":  # S3 names a part by its MD5; the local store by its copy
        assert etag1 == hashlib.md5(first).hexdigest()
    listed = store.list_parts(key, upload_id)
    assert [(p.number, p.etag, p.size) for p in listed] == [(1, etag1, len(first)), (2, etag2, 4)]
    store.complete_multipart(key, upload_id, [1, 2])
    with store.open(key) as f:
        assert hashlib.sha256(f.read()).hexdigest() == hashlib.sha256(first + second).hexdigest()


def test_a_part_sent_again_replaces_the_first(storage_backend):
    store = get_store()
    key = "uploads/y/data.tar.gz"
    upload_id = store.create_multipart(key)
    old = _put_part(store, key, upload_id, 1, b"old")
    etag = _put_part(store, key, upload_id, 1, b"new")
    assert etag != old
    assert [(p.etag, p.size) for p in store.list_parts(key, upload_id)] == [(etag, 3)]
    store.complete_multipart(key, upload_id, [1])
    with store.open(key) as f:
        assert f.read() == b"new"


def test_completing_with_a_missing_part_fails(storage_backend):
    store = get_store()
    key = "uploads/z/data.tar.gz"
    upload_id = store.create_multipart(key)
    _put_part(store, key, upload_id, 1, b"x" * 10)
    with pytest.raises(StorageError):
        store.complete_multipart(key, upload_id, [1, 2])
    assert not store.exists(key)


def test_an_aborted_upload_is_gone(storage_backend):
    store = get_store()
    upload_id = store.create_multipart("uploads/w/data.tar.gz")
    store.abort_multipart("uploads/w/data.tar.gz", upload_id)
    with pytest.raises(StorageError):
        store.list_parts("uploads/w/data.tar.gz", upload_id)


def test_a_short_local_part_is_not_kept(tmp_path):
    store = LocalStore(tmp_path)
    upload_id = store.create_multipart("k")
    with pytest.raises(StorageError, match="ended after 3 of 10"):
        store.write_part(upload_id, 1, io.BytesIO(b"abc"), 10)
    assert store.list_parts("k", upload_id) == []


def test_keys_cannot_leave_the_storage_folder(tmp_path):
    with pytest.raises(StorageError):
        LocalStore(tmp_path).path("../../etc/passwd")
