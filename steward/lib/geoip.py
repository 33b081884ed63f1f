"""The country of a request's address, from an operator's MaxMind GeoIP2/GeoLite2 database.

The operator points STEWARD_GEOIP_DATABASE at a Country (or City) database file in the
MaxMind DB format (GeoLite2-Country.mmdb, as `geoipupdate` keeps it). Without it nothing is
looked up and `country_of` answers None ("unknown"); what an unknown country means for a
decision is the caller's business.

The file is opened once (memory-mapped) and kept per path. A file replaced in place, as
`geoipupdate` does by renaming a new one over it, is opened again at the next lookup, so a
running server follows updates without a restart. A missing or unreadable file raises
ImproperlyConfigured at first use, and `check_geoip_database` (a Django system check,
registered when this module is imported) reports it to `steward check`.
"""

import ipaddress
import logging
import os
import threading
from typing import Any

import maxminddb
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

log = logging.getLogger(__name__)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Addresses that never belong to a country: this host, the local network, the operator's
# own networks. Documentation ranges (192.0.2.0/24, 2001:db8::/32...) are not among them:
# real databases hold none of them, and tests map them.
_LOCAL_NETWORKS = [
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # carrier-grade NAT
        "fc00::/7",  # unique local
    )
]

# Database types whose records carry a "country" (GeoIP2/GeoLite2 Country and City,
# GeoIP2 Enterprise, and the DB-IP files in the same shape).
_COUNTRY_DATABASE_TYPES = ("Country", "City", "Enterprise")


def geoip_enabled() -> bool:
    """Whether the operator configured a country database (STEWARD_GEOIP_DATABASE).

    Configured is not the same as usable: a missing or corrupt file makes `country_of`
    raise ImproperlyConfigured, and `steward check` reports it."""
    return bool(_database_path())


def client_ip(request) -> str | None:
    """The address of the client that sent `request`, or None when it is not a valid one.

    Normally REMOTE_ADDR. With STEWARD_BEHIND_PROXY, the last entry of X-Forwarded-For:
    the one the operator's own proxy appended, which the client cannot forge (entries
    before it can be anything the client sent). An IPv4 address written as IPv6
    (::ffff:203.0.113.5) is given as IPv4."""
    if getattr(settings, "STEWARD_BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return _normalized(forwarded.rsplit(",", 1)[-1])
    return _normalized(request.META.get("REMOTE_ADDR", ""))


def country_of(ip: str | None) -> str | None:
    """The ISO 3166-1 alpha-2 code (upper case, e.g. "KE") of the country of `ip`.

    None when no database is configured, when `ip` is None or not an address, when it is a
    loopback, private or otherwise local address, and when the database does not know it.
    Raises ImproperlyConfigured when the configured file is missing or not a valid
    MaxMind database."""
    if not ip:
        return None
    path = _database_path()
    if not path:
        return None
    try:
        address = _parse(ip)
    except ValueError:
        return None
    if _is_local(address):
        return None
    reader = _reader(path)
    try:
        record = reader.get(address)
    except ValueError:
        # An IPv6 address looked up in an IPv4-only database.
        return None
    except maxminddb.InvalidDatabaseError as error:
        raise ImproperlyConfigured(
            f"STEWARD_GEOIP_DATABASE ({path}) is not a valid MaxMind database: {error}"
        ) from error
    return _iso_code(record)


def clear_cache() -> None:
    """Forget the open databases; the next lookup opens the file again."""
    with _lock:
        _readers.clear()


# Open readers by path, with the identity (inode, mtime, size) of the file they were opened
# from: a file replaced since is opened again.
_Identity = tuple[int, int, int]
_readers: dict[str, tuple[_Identity | None, maxminddb.Reader]] = {}
_lock = threading.Lock()


def _database_path() -> str:
    value = getattr(settings, "STEWARD_GEOIP_DATABASE", "") or ""
    return os.fspath(value)


def _reader(path: str) -> maxminddb.Reader:
    try:
        stat = os.stat(path)
        identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
    except OSError:
        identity = None
    reader = _cached(path, identity)
    if reader is not None:
        return reader
    with _lock:
        reader = _cached(path, identity)
        if reader is None:
            reader = _open(path)
            _readers[path] = (identity, reader)
        return reader


def _cached(path: str, identity: _Identity | None) -> maxminddb.Reader | None:
    cached = _readers.get(path)
    # A file that vanished after it was opened: keep answering from the open copy.
    if cached and (identity is None or cached[0] == identity):
        return cached[1]
    return None


def _open(path: str) -> maxminddb.Reader:
    try:
        return maxminddb.open_database(path)
    except FileNotFoundError as error:
        raise ImproperlyConfigured(
            f"STEWARD_GEOIP_DATABASE: the country database {path} does not exist."
        ) from error
    except (OSError, maxminddb.InvalidDatabaseError, ValueError) as error:
        raise ImproperlyConfigured(
            f"STEWARD_GEOIP_DATABASE: {path} cannot be read as a MaxMind GeoIP2/GeoLite2 "
            f"country database: {error}"
        ) from error


def _parse(value: str) -> IPAddress:
    value = value.strip()
    if value.startswith("["):
        # [2001:db8::1] or [2001:db8::1]:443
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        # 203.0.113.5:443
        value = value.partition(":")[0]
    address = ipaddress.ip_address(value)
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return address.ipv4_mapped
        if address.scope_id:
            address = ipaddress.IPv6Address(str(address).partition("%")[0])
    return address


def _normalized(value: str) -> str | None:
    try:
        return str(_parse(value))
    except ValueError:
        return None


def _is_local(address: IPAddress) -> bool:
    return (
        address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or any(
            address in network for network in _LOCAL_NETWORKS if network.version == address.version
        )
    )


def _iso_code(record: Any) -> str | None:
    if not isinstance(record, dict):
        return None
    country = record.get("country")
    code = country.get("iso_code") if isinstance(country, dict) else None
    if isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha():
        return code.upper()
    return None


@checks.register("steward")
def check_geoip_database(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """System check: a configured STEWARD_GEOIP_DATABASE opens and holds countries."""
    path = _database_path()
    if not path:
        return []
    try:
        reader = _reader(path)
    except ImproperlyConfigured as error:
        return [
            checks.Error(
                str(error),
                hint="Point STEWARD_GEOIP_DATABASE at a GeoLite2-Country.mmdb or "
                "GeoIP2-Country.mmdb file (e.g. kept up to date by geoipupdate), or unset it.",
                id="steward.E101",
            )
        ]
    database_type = reader.metadata().database_type
    if not any(kind in database_type for kind in _COUNTRY_DATABASE_TYPES):
        return [
            checks.Warning(
                f"STEWARD_GEOIP_DATABASE ({path}) is a {database_type!r} database, "
                "which may not hold countries; every address would be of unknown country.",
                hint="Use a GeoIP2/GeoLite2 Country or City database.",
                id="steward.W101",
            )
        ]
    return []


@receiver(setting_changed)
def _on_setting_changed(setting, **kwargs) -> None:
    if setting == "STEWARD_GEOIP_DATABASE":
        clear_cache()
