"""Shared fixtures: the personas every permission test uses, and isolated file storage."""

import pytest


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.STEWARD_FILES_DIR = tmp_path / "files"
    # Password hashing is slow by design; tests do not need its strength.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate limits and cached listings live in the cache; each test starts without them.
    from django.core.cache import cache

    cache.clear()


def _user(username: str, **extra):
    from steward.accounts.services import create_user

    return create_user(
        username, email=f"{username}@example.org", password="a-long-test-password", **extra
    )


@pytest.fixture
def organization(db):
    from steward.organizations.services import create_organization

    return create_organization(
        "radio-kinshasa", name="Radio Kinshasa Community", approved=True, country="CD"
    )


@pytest.fixture
def owner(organization):
    from steward.organizations.models import Membership

    user = _user("owner")
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.OWNER)
    return user


@pytest.fixture
def admin(organization):
    from steward.organizations.models import Membership

    user = _user("orgadmin")
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.ADMIN)
    return user


@pytest.fixture
def member(organization):
    from steward.organizations.models import Membership

    user = _user("member")
    Membership.objects.create(organization=organization, user=user, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def outsider(db):
    """A signed-up user of another organization."""
    from steward.organizations.services import create_organization

    user = _user("outsider")
    create_organization("other-org", name="Another Organization", owner=user, approved=True)
    return user


@pytest.fixture
def staff(db):
    """A reviewer, with the authenticator app that staff need to use the site."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = _user("reviewer", is_staff=True)
    TOTP.activate(user, generate_totp_secret())
    return user


@pytest.fixture
def anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


@pytest.fixture(scope="session")
def moto_server():
    """A real S3-protocol server (moto's server mode) on a loopback port."""
    import socket

    from moto.server import ThreadedMotoServer

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_storage(moto_server, settings):
    """Point Steward's storage at a fresh bucket on the moto server."""
    import uuid

    import boto3

    bucket = f"steward-{uuid.uuid4().hex[:12]}"
    settings.STEWARD_S3_BUCKET = bucket
    settings.STEWARD_S3_ENDPOINT = moto_server
    settings.STEWARD_S3_REGION = "us-east-1"
    settings.STEWARD_S3_ACCESS_KEY_ID = "testing"
    settings.STEWARD_S3_SECRET_ACCESS_KEY = "testing"
    client = boto3.client(
        "s3", endpoint_url=moto_server, region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    client.create_bucket(Bucket=bucket)
    return client


@pytest.fixture(params=["local", "s3"])
def storage_backend(request):
    """Run a test once on local files and once on the S3 server."""
    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return request.param


@pytest.fixture
def geoip_database(settings, tmp_path):
    """A small GeoLite2-Country-shaped database, set as STEWARD_GEOIP_DATABASE.

    Its ranges (all documentation addresses, which no real database holds):

    - 203.0.113.0/24  -> KE (Kenya)
    - 198.51.100.0/24 -> FR (France)
    - 192.0.2.0/25    -> CD (DR Congo, the country of the `organization` fixture)
    - 2001:db8::/32   -> DE (Germany)

    Any other address, 192.0.2.200 for one, is of unknown country (None). Returns the
    file's path."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    from steward.lib import geoip

    ranges = {
        "203.0.113.0/24": ("KE", "AF", 192950),
        "198.51.100.0/24": ("FR", "EU", 3017382),
        "192.0.2.0/25": ("CD", "AF", 203312),
        "2001:db8::/32": ("DE", "EU", 2921044),
    }
    writer = MMDBWriter(
        ip_version=6, ipv4_compatible=True, database_type="GeoLite2-Country", languages=["en"]
    )
    for network, (code, continent, geoname_id) in ranges.items():
        country = {"geoname_id": geoname_id, "iso_code": code, "names": {"en": code}}
        record = {
            "continent": {"code": continent},
            "country": country,
            "registered_country": country,
        }
        writer.insert_network(IPSet([network]), record)
    path = tmp_path / "GeoLite2-Country.mmdb"
    writer.to_db_file(str(path))
    settings.STEWARD_GEOIP_DATABASE = str(path)
    geoip.clear_cache()
    yield path
    geoip.clear_cache()


@pytest.fixture
def auth_for():
    """`auth_for(user)`: the Authorization header of a new API key of `user` (none if anonymous)."""

    def auth_for(user) -> dict[str, str]:
        if not user.is_authenticated:
            return {}
        from steward.accounts.services import create_api_key

        _, secret = create_api_key(user)
        return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}

    return auth_for
