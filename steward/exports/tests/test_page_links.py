"""The dataset's page and the site's footer lead to every export, and each link works for
whoever reads the page."""

import io
import re
import zipfile

from steward.access.services import withdraw_version


def links(html: str) -> set[str]:
    return set(re.findall(r'<a href="([^"]+)"', html))


def test_the_dataset_page_links_its_croissant_card_and_bundles(client, published):
    page = client.get(f"/datasets/{published.slug}").content.decode()
    croissant = f"/api/datasets/{published.public_id}/croissant"
    assert (
        f'<link rel="alternate" type="application/ld+json" title="Croissant" href="{croissant}">'
        in page
    )
    found = links(page)
    card = f"/datasets/{published.public_id}/README.md"
    bundle = f"/api/datasets/{published.public_id}/provenance"
    version_bundle = f"/api/datasets/{published.public_id}/versions/1/provenance"
    assert {croissant, card, bundle, version_bundle} <= found
    # Anyone reading a public dataset's page may follow each of them.
    assert client.get(croissant)["Content-Type"] == "application/ld+json"
    assert client.get(card)["Content-Type"].startswith("text/markdown")
    for url in (bundle, version_bundle):
        assert client.get(url)["Content-Type"] == "application/zip"


def test_the_footer_links_the_catalogue_for_portals(client, published):
    found = links(client.get("/").content.decode())
    assert {"/catalog.ttl", "/catalog.jsonld", "/api/docs"} <= found
    assert client.get("/catalog.ttl")["Content-Type"].startswith("text/turtle")
    assert published.public_id in client.get("/catalog.jsonld").content.decode()


def test_a_withdrawn_version_is_not_offered_to_readers(client, published, owner):
    withdraw_version(published.current_version, actor=owner, reason="Consent withdrawn.")
    page = client.get(f"/datasets/{published.slug}").content.decode()
    assert 'type="application/ld+json"' not in page
    assert "/provenance" not in page
    client.force_login(owner)
    # The organization keeps the records of what it published.
    page = client.get(f"/datasets/{published.slug}").content.decode()
    assert f"/api/datasets/{published.public_id}/versions/1/provenance" in page


def test_the_croissants_file_link_wants_a_key_not_the_session(client, published, owner):
    """A GET that starts a download must not work from the session cookie, which another
    site's link would send along."""
    from steward.access.models import DownloadEvent

    client.force_login(owner)
    url = f"/api/datasets/{published.public_id}/versions/1/files/archive"
    assert client.get(url).status_code == 401
    assert not DownloadEvent.objects.exists()


def test_the_organizations_rights_statement_stays_with_the_reviewers(client, published):
    """Its own words may name people: the public exports carry the consent basis, not them."""
    statement = "Every speaker signed the radio's consent form."
    croissant = client.get(f"/api/datasets/{published.public_id}/croissant").content.decode()
    assert statement not in croissant
    assert "Consent basis" in croissant
    bundle = client.get(f"/api/datasets/{published.public_id}/provenance").content
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        texts = [archive.read(name).decode() for name in archive.namelist()]
    assert any("consentBasis" in text for text in texts)
    assert not any(statement in text for text in texts)
