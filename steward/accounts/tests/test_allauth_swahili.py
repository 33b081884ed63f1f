"""allauth's own texts (form errors, labels, messages, its pages and emails) are in Swahili too.

allauth has no Swahili catalogue; accounts/allauth_texts.py puts its texts in Steward's, which
Django consults first, in every language. These tests check what a reader sees, and that the
French, Spanish and Arabic texts are still allauth's own."""

import gettext
from pathlib import Path

import allauth
import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from steward.accounts import allauth_texts
from steward.accounts.allauth_texts import PLURALS, TEXTS

ALLAUTH_LOCALE = Path(allauth.__file__).resolve().parent / "locale"
SWAHILI = {"HTTP_ACCEPT_LANGUAGE": "sw"}
FRENCH = {"HTTP_ACCEPT_LANGUAGE": "fr"}
# The personas' password, from the root conftest.py.
PASSWORD = "a-long-test-password"

WRONG_PASSWORD_EN = "The username and/or password you specified are not correct."
WRONG_PASSWORD_SW = "Jina la mtumiaji na/au nenosiri uliloweka si sahihi."
MISMATCH_EN = "You must type the same password each time."
MISMATCH_SW = "Lazima uandike nenosiri lilelile kila mara."


def allauth_catalogue(language: str) -> dict[str, str]:
    """allauth's own compiled translations, keyed as gettext keys them: the msgid, or the
    context and the msgid joined by \\x04."""
    path = ALLAUTH_LOCALE / language / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as mo:
        return gettext.GNUTranslations(mo)._catalog


def key(context: str, msgid: str) -> str:
    return f"{context}\x04{msgid}" if context else msgid


def shown(context: str, msgid: str) -> str:
    """The text as Django translates it in the active language."""
    return translation.pgettext(context, msgid) if context else translation.gettext(msgid)


# What a reader sees ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_failed_log_in_is_refused_in_swahili(member, log_in):
    response = log_in("member", "not-the-password", **SWAHILI)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="sw"' in html
    assert escape(WRONG_PASSWORD_SW) in html
    assert escape(WRONG_PASSWORD_EN) not in html


@pytest.mark.django_db
def test_a_failed_log_in_by_email_is_refused_in_swahili(member, log_in):
    response = log_in("member@example.org", "not-the-password", **SWAHILI)

    html = response.content.decode()
    assert escape("Anwani ya barua pepe na/au nenosiri uliloweka si sahihi.") in html
    assert "The email address and/or password you specified are not correct." not in html
    # The password field's help, from allauth's Python too.
    assert "Umesahau nenosiri lako?" in html and "Forgot your password?" not in html


@pytest.mark.django_db
def test_a_failed_log_in_is_still_refused_in_allauths_french(member, log_in):
    french = allauth_catalogue("fr")[WRONG_PASSWORD_EN]

    response = log_in("member", "not-the-password", **FRENCH)

    html = response.content.decode()
    assert '<html lang="fr"' in html
    assert escape(french) in html
    assert escape(WRONG_PASSWORD_EN) not in html


@pytest.mark.django_db
def test_the_sign_up_form_says_the_passwords_differ_in_swahili(client):
    # The language cookie, as the switcher sets it.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sw"

    response = client.post(
        reverse("account_signup"),
        {
            "full_name": "Amina Diallo",
            "email": "amina@example.org",
            "username": "amina",
            "password1": "correct-horse-battery",
            "password2": "correct-horse-staple",
            "country": "SN",
            "organization_type": "academic",
        },
    )

    html = response.content.decode()
    assert '<html lang="sw"' in html
    assert escape(MISMATCH_SW) in html
    assert MISMATCH_EN not in html
    # allauth's labels of the email and second password fields.
    assert ">Barua pepe</label>" in html
    assert ">Nenosiri (tena)</label>" in html and "Password (again)" not in html


@pytest.mark.django_db
def test_allauths_message_after_log_in_is_in_swahili(client, member, log_in):
    """The message comes from allauth's template account/messages/logged_in.txt, which
    Steward does not override: it finds the translation in Steward's catalogue."""
    response = log_in("member", PASSWORD, **SWAHILI)
    assert response.status_code == 302

    html = client.get(response["Location"], **SWAHILI).content.decode()

    assert "Umefanikiwa kuingia kama member." in html
    assert "Successfully signed in as" not in html


# allauth's pages and emails, which Steward does not override ------------------------------


@pytest.mark.django_db
def test_the_password_reset_page_is_in_swahili(client):
    response = client.get(reverse("account_reset_password"), **SWAHILI)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="sw"' in html
    assert "Kuweka upya nenosiri" in html and "Password Reset" not in html
    assert "Umesahau nenosiri lako? Weka anwani yako ya barua pepe hapa chini" in html
    assert "Forgotten your password?" not in html
    assert "Weka upya nenosiri langu" in html and "Reset My Password" not in html
    assert "Please contact us" not in html


@pytest.mark.django_db
def test_the_email_addresses_page_is_in_swahili(client, member):
    client.force_login(member)

    response = client.get(reverse("account_email"), **SWAHILI)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="sw"' in html
    assert "Anwani za barua pepe" in html and "Email Addresses" not in html
    assert "Anwani zifuatazo za barua pepe zimeunganishwa na akaunti yako:" in html
    assert "member@example.org" in html
    # The badges of the member's verified primary address, and the buttons.
    assert "Limethibitishwa" in html and ">Kuu<" in html.replace(" ", "").replace("\n", "")
    for english in ["Make Primary", "Re-send Verification", "Add Email Address", "Add Email"]:
        assert english not in html
    assert "Ifanye kuwa kuu" in html and "Tuma uthibitisho tena" in html
    assert "Ongeza anwani ya barua pepe" in html


@pytest.mark.django_db
def test_the_two_factor_page_is_in_swahili(client, member):
    client.force_login(member)

    html = client.get(reverse("mfa_index"), **SWAHILI).content.decode()

    assert "Uthibitishaji wa hatua mbili" in html and "Two-Factor Authentication" not in html
    assert "Programu ya uthibitishaji haijawashwa." in html
    assert "An authenticator app is not active." not in html


@pytest.mark.django_db
def test_the_reauthentication_page_is_in_swahili(client, member):
    client.force_login(member)

    html = client.get(reverse("account_reauthenticate"), **SWAHILI).content.decode()

    assert "Thibitisha kuwa ni wewe" in html and "Confirm Access" not in html
    assert "Weka nenosiri lako:" in html and "Enter your password:" not in html
    # The other way, offered to every account with a verified address.
    assert "Nitumie msimbo wa kuingia" in html and "Send me a sign-in code" not in html


@pytest.mark.django_db
def test_the_password_reset_email_is_in_swahili(client, member):
    response = client.post(
        reverse("account_reset_password"), {"email": "member@example.org"}, **SWAHILI
    )
    assert response.status_code == 302

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["member@example.org"]
    assert email.subject == "[Steward] Barua pepe ya kuweka upya nenosiri"
    assert "Unapokea barua pepe hii kwa sababu wewe au mtu mwingine ameomba" in email.body
    assert "Ikiwa umesahau, jina lako la mtumiaji ni member." in email.body
    assert "Salamu kutoka " in email.body and "Asante kwa kutumia " in email.body
    for english in ["Hello from", "You're receiving this email", "In case you forgot", "Thank"]:
        assert english not in email.body
    # The link itself is unchanged.
    assert "/accounts/password/reset/key/" in email.body


@pytest.mark.django_db
def test_the_password_reset_page_that_follows_is_in_swahili(client, member):
    response = client.post(
        reverse("account_reset_password"), {"email": "member@example.org"}, **SWAHILI
    )

    html = client.get(response["Location"], **SWAHILI).content.decode()
    assert "Tumekutumia barua pepe." in html and "We have sent you an email." not in html


# The list of texts ----------------------------------------------------------------------


def test_every_listed_text_is_one_of_allauths_msgids():
    """A text allauth no longer uses, or spells differently, would translate nothing."""
    french = allauth_catalogue("fr")
    unknown = [(context, msgid) for context, msgid in TEXTS if key(context, msgid) not in french]
    assert not unknown, f"not msgids of allauth's French catalogue: {unknown}"
    assert len(set(TEXTS)) == len(TEXTS)


def test_every_listed_plural_is_one_of_allauths_msgids():
    french = allauth_catalogue("fr")
    # gettext keys a plural by its singular and the form's index.
    unknown = [singular for singular, plural in PLURALS if (singular, 0) not in french]
    assert not unknown, f"not msgids of allauth's French catalogue: {unknown}"


def test_every_listed_text_is_translated_into_swahili():
    with translation.override("sw"):
        untranslated = [msgid for context, msgid in TEXTS if shown(context, msgid) == msgid]
        untranslated += [
            singular
            for singular, plural in PLURALS
            if translation.ngettext(singular, plural, 1) == singular
            or translation.ngettext(singular, plural, 2) == plural
        ]
    assert not untranslated


@pytest.mark.parametrize("language", ["fr", "es", "ar"])
def test_french_spanish_and_arabic_keep_allauths_own_translations(language):
    """Steward's catalogues come first, so these entries must hold allauth's translation.
    The words Steward's own pages use too keep Steward's translation, as they already did."""
    own = allauth_catalogue(language)
    shared = set(allauth_texts.SHARED_WITH_STEWARD)
    with translation.override(language):
        changed = [
            (msgid, shown(context, msgid), own[key(context, msgid)])
            for context, msgid in TEXTS
            if msgid not in shared and shown(context, msgid) != own[key(context, msgid)]
        ]
    assert not changed


@pytest.mark.parametrize("language", ["fr", "es", "ar"])
def test_french_spanish_and_arabic_keep_allauths_own_plurals(language):
    path = ALLAUTH_LOCALE / language / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as mo:
        own = gettext.GNUTranslations(mo)
    # Enough counts to reach each of the Arabic forms.
    counts = [0, 1, 2, 3, 11, 100, 1000000]
    with translation.override(language):
        changed = [
            (singular, n)
            for singular, plural in PLURALS
            for n in counts
            if translation.ngettext(singular, plural, n)
            != own.ngettext(singular, plural, n).replace("6(unused_count)s", "%(unused_count)s")
        ]
    # allauth's Arabic catalogue misspells a placeholder in two forms ("6(unused_count)s",
    # shown as it is); Steward's entry spells it right and is otherwise allauth's own.
    assert not changed
