"""The country of a request's address: client_ip, country_of and the database system check.

The databases are written at test time with mmdb-writer; `geoip_database` (the root
conftest) is the shared one: 203.0.113.0/24 KE, 198.51.100.0/24 FR, 192.0.2.0/25 CD,
2001:db8::/32 DE."""

import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import RequestFactory

from steward.lib import geoip
from steward.lib.geoip import check_geoip_database, client_ip, country_of, geoip_enabled


def write_database(path, networks, *, ip_version=6, database_type="GeoLite2-Country"):
    """Write `networks` ({"10.0.0.0/8": record}) as a MaxMind database at `path`."""
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    writer = MMDBWriter(
        ip_version=ip_version, ipv4_compatible=ip_version == 6, database_type=database_type
    )
    for network, record in networks.items():
        writer.insert_network(IPSet([network]), record)
    writer.to_db_file(str(path))
    return path


def country(code):
    return {"country": {"iso_code": code, "names": {"en": code}}}


@pytest.fixture(autouse=True)
def _fresh_cache():
    geoip.clear_cache()
    yield
    geoip.clear_cache()


# Lookups


@pytest.mark.parametrize(
    ("ip", "expected"),
    [
        ("203.0.113.5", "KE"),
        ("203.0.113.255", "KE"),
        ("198.51.100.1", "FR"),
        ("192.0.2.1", "CD"),
        ("2001:db8::1", "DE"),
        ("2001:db8:ffff::42", "DE"),
        # An IPv4 address written as IPv6 (a dual-stack socket's REMOTE_ADDR).
        ("::ffff:203.0.113.5", "KE"),
        (" 198.51.100.7 ", "FR"),
    ],
)
def test_country_of_an_address_in_the_database(geoip_database, ip, expected):
    assert country_of(ip) == expected


@pytest.mark.parametrize(
    "ip", ["192.0.2.200", "8.8.8.8", "198.51.101.1", "2001:db9::1", "2606:4700::1111"]
)
def test_an_address_the_database_does_not_know_is_of_unknown_country(geoip_database, ip):
    assert country_of(ip) is None


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1", "::1", "10.1.2.3", "172.16.5.4", "192.168.1.1", "100.64.0.1",
        "169.254.1.1", "fe80::1", "fd12:3456::1", "0.0.0.0", "::", "224.0.0.1", "240.0.0.1",
    ],
)  # fmt: skip
def test_loopback_and_private_addresses_have_no_country(settings, tmp_path, ip):
    # Even a database that (wrongly) maps them does not give them one.
    networks = {
        "0.0.0.0/1": country("KE"),
        "128.0.0.0/1": country("KE"),
        "::1/128": country("DE"),
        "2000::/3": country("DE"),
        "fc00::/7": country("DE"),
        "fe80::/10": country("DE"),
    }
    settings.STEWARD_GEOIP_DATABASE = str(write_database(tmp_path / "all.mmdb", networks))
    assert country_of("8.8.8.8") == "KE"
    assert country_of("2606:4700::1111") == "DE"
    assert geoip._reader(settings.STEWARD_GEOIP_DATABASE).get(ip.strip()) is not None

    assert country_of(ip) is None


@pytest.mark.parametrize("ip", [None, "", "not-an-address", "999.1.1.1", "203.0.113", "1.2.3.4/24"])
def test_something_that_is_not_an_address_has_no_country(geoip_database, ip):
    assert country_of(ip) is None


def test_without_a_database_nothing_is_looked_up(settings):
    settings.STEWARD_GEOIP_DATABASE = ""

    assert not geoip_enabled()
    assert country_of("203.0.113.5") is None
    assert check_geoip_database() == []


def test_with_a_database_geoip_is_enabled(geoip_database):
    assert geoip_enabled()
    assert check_geoip_database() == []


def test_a_city_database_answers_with_the_country_of_its_records(settings, tmp_path):
    record = {**country("ke"), "city": {"names": {"en": "Nairobi"}}}
    path = write_database(
        tmp_path / "city.mmdb", {"203.0.113.0/24": record}, database_type="GeoLite2-City"
    )
    settings.STEWARD_GEOIP_DATABASE = str(path)

    assert country_of("203.0.113.9") == "KE"  # upper case, whatever the file says
    assert check_geoip_database() == []


def test_records_without_a_country_code_are_of_unknown_country(settings, tmp_path):
    networks = {
        # Only the country the network is registered in, not where it is used.
        "203.0.113.0/25": {"registered_country": {"iso_code": "KE"}},
        "203.0.113.128/26": {"country": {"iso_code": "Kenya"}},
        "203.0.113.192/26": "KE",
    }
    settings.STEWARD_GEOIP_DATABASE = str(write_database(tmp_path / "odd.mmdb", networks))

    assert country_of("203.0.113.1") is None
    assert country_of("203.0.113.129") is None
    assert country_of("203.0.113.200") is None


def test_an_ipv6_address_in_an_ipv4_only_database_is_of_unknown_country(settings, tmp_path):
    path = write_database(tmp_path / "v4.mmdb", {"203.0.113.0/24": country("KE")}, ip_version=4)
    settings.STEWARD_GEOIP_DATABASE = str(path)

    assert country_of("203.0.113.1") == "KE"
    assert country_of("2001:db8::1") is None


# The reader cache


def test_the_database_is_opened_once(geoip_database, monkeypatch):
    assert country_of("203.0.113.5") == "KE"
    monkeypatch.setattr(geoip, "_open", lambda path: pytest.fail("opened again"))

    assert country_of("198.51.100.1") == "FR"
    assert country_of("2001:db8::1") == "DE"


def test_changing_the_setting_changes_the_database(settings, tmp_path):
    first = write_database(tmp_path / "first.mmdb", {"203.0.113.0/24": country("KE")})
    second = write_database(tmp_path / "second.mmdb", {"203.0.113.0/24": country("UG")})

    settings.STEWARD_GEOIP_DATABASE = str(first)
    assert country_of("203.0.113.5") == "KE"
    settings.STEWARD_GEOIP_DATABASE = str(second)
    assert country_of("203.0.113.5") == "UG"
    settings.STEWARD_GEOIP_DATABASE = ""
    assert country_of("203.0.113.5") is None


def test_a_database_replaced_in_place_is_opened_again(settings, tmp_path):
    # As geoipupdate does: write a new file, then rename it over the old one.
    path = write_database(tmp_path / "GeoLite2-Country.mmdb", {"203.0.113.0/24": country("KE")})
    settings.STEWARD_GEOIP_DATABASE = str(path)
    assert country_of("203.0.113.5") == "KE"

    update = write_database(tmp_path / "update.mmdb", {"203.0.113.0/24": country("TZ")})
    os.replace(update, path)

    assert country_of("203.0.113.5") == "TZ"


def test_a_database_removed_after_it_was_opened_keeps_answering(settings, tmp_path):
    path = write_database(tmp_path / "gone.mmdb", {"203.0.113.0/24": country("KE")})
    settings.STEWARD_GEOIP_DATABASE = str(path)
    assert country_of("203.0.113.5") == "KE"

    path.unlink()

    assert country_of("203.0.113.5") == "KE"


# A missing or broken database: a clear error at use, and `steward check` says so


def test_a_missing_database_is_a_configuration_error(settings, tmp_path):
    missing = tmp_path / "nowhere" / "GeoLite2-Country.mmdb"
    settings.STEWARD_GEOIP_DATABASE = str(missing)

    assert geoip_enabled()
    with pytest.raises(ImproperlyConfigured, match="does not exist") as raised:
        country_of("203.0.113.5")
    assert str(missing) in str(raised.value)

    [error] = check_geoip_database()
    assert error.id == "steward.E101" and error.is_serious()
    assert str(missing) in error.msg


@pytest.mark.parametrize(
    "content",
    [b"", b"this is not a MaxMind database\n" * 100, b"\xab\xcd\xefMaxMind.com" + b"\xff" * 64],
    ids=["empty", "text", "bad-metadata"],
)
def test_a_corrupt_database_is_a_configuration_error(settings, tmp_path, content):
    path = tmp_path / "GeoLite2-Country.mmdb"
    path.write_bytes(content)
    settings.STEWARD_GEOIP_DATABASE = str(path)

    with pytest.raises(ImproperlyConfigured, match="STEWARD_GEOIP_DATABASE") as raised:
        country_of("203.0.113.5")
    assert str(path) in str(raised.value)

    [error] = check_geoip_database()
    assert error.id == "steward.E101" and error.is_serious()
    assert "STEWARD_GEOIP_DATABASE" in error.msg and str(path) in error.msg


def test_a_directory_is_a_configuration_error(settings, tmp_path):
    settings.STEWARD_GEOIP_DATABASE = str(tmp_path)

    with pytest.raises(ImproperlyConfigured, match="STEWARD_GEOIP_DATABASE"):
        country_of("203.0.113.5")


def test_the_check_command_reports_a_broken_database(settings, tmp_path):
    path = tmp_path / "GeoLite2-Country.mmdb"
    path.write_bytes(b"not a database")
    settings.STEWARD_GEOIP_DATABASE = str(path)

    with pytest.raises(SystemCheckError, match=r"steward\.E101.*STEWARD_GEOIP_DATABASE"):
        call_command("check")


def test_the_check_warns_about_a_database_without_countries(settings, tmp_path):
    path = write_database(
        tmp_path / "asn.mmdb",
        {"203.0.113.0/24": {"autonomous_system_number": 64496}},
        database_type="GeoLite2-ASN",
    )
    settings.STEWARD_GEOIP_DATABASE = str(path)

    [warning] = check_geoip_database()
    assert warning.id == "steward.W101" and not warning.is_serious()
    assert "GeoLite2-ASN" in warning.msg


# The client's address


def request(remote_addr="203.0.113.5", forwarded_for=None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


def test_the_client_is_the_connection_address(settings):
    settings.STEWARD_BEHIND_PROXY = False

    assert client_ip(request("203.0.113.5")) == "203.0.113.5"
    assert client_ip(request("2001:db8::1")) == "2001:db8::1"
    assert client_ip(request("::ffff:198.51.100.7")) == "198.51.100.7"


def test_without_a_proxy_x_forwarded_for_is_ignored(settings):
    # Anyone can send the header; only a proxy of the operator's makes it trustworthy.
    settings.STEWARD_BEHIND_PROXY = False

    assert client_ip(request("203.0.113.5", forwarded_for="198.51.100.1")) == "203.0.113.5"


@pytest.mark.parametrize("remote_addr", ["", "unknown", "203.0.113.999"])
def test_an_invalid_connection_address_is_none(settings, remote_addr):
    settings.STEWARD_BEHIND_PROXY = False

    assert client_ip(request(remote_addr)) is None


@pytest.mark.parametrize(
    ("forwarded_for", "expected"),
    [
        ("198.51.100.1", "198.51.100.1"),
        # The client may send its own header; the proxy appends the real address last.
        ("203.0.113.66, 198.51.100.1", "198.51.100.1"),
        ("forged,  2001:db8::7 ", "2001:db8::7"),
        ("[2001:db8::7]:51234", "2001:db8::7"),
        ("198.51.100.1:51234", "198.51.100.1"),
        ("::ffff:198.51.100.1", "198.51.100.1"),
    ],
)
def test_behind_a_proxy_the_client_is_the_last_forwarded_address(settings, forwarded_for, expected):
    settings.STEWARD_BEHIND_PROXY = True

    assert client_ip(request("10.0.0.2", forwarded_for=forwarded_for)) == expected


@pytest.mark.parametrize("forwarded_for", ["198.51.100.1, garbage", "198.51.100.1,", "unknown"])
def test_behind_a_proxy_an_invalid_last_forwarded_address_is_none(settings, forwarded_for):
    # Not the proxy's own address either: that would give the proxy's country.
    settings.STEWARD_BEHIND_PROXY = True

    assert client_ip(request("203.0.113.5", forwarded_for=forwarded_for)) is None


@pytest.mark.parametrize("forwarded_for", [None, "", "  "])
def test_behind_a_proxy_without_the_header_the_client_is_the_connection(settings, forwarded_for):
    settings.STEWARD_BEHIND_PROXY = True

    assert client_ip(request("203.0.113.5", forwarded_for=forwarded_for)) == "203.0.113.5"


def test_the_country_of_a_request(settings, geoip_database):
    settings.STEWARD_BEHIND_PROXY = True

    assert country_of(client_ip(request("10.0.0.2", forwarded_for="1.2.3.4, 203.0.113.9"))) == "KE"
    assert country_of(client_ip(request("10.0.0.2", forwarded_for="203.0.113.9, 10.9.9.9"))) is None
