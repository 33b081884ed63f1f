"""The interface speaks every language in settings.LANGUAGES: each text a person reads is
marked for translation, each language's message file holds every such text, translated, and
the compiled catalogues Django loads match the message files.

After changing a text, run `make messages`, translate what it adds, and commit the .po and
.mo files together."""

import gettext
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from steward.lib.errors import DomainError, without_field_name

STEWARD = Path(__file__).resolve().parent.parent
LOCALE = STEWARD / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
TEMPLATES = sorted(
    path
    for pattern in ("**/templates/**/*.html", "**/templates/**/*.txt")
    for path in STEWARD.glob(pattern)
    if "tests" not in path.relative_to(STEWARD).parts
)


# Message files -------------------------------------------------------------------------


def read_po(path: Path) -> dict[tuple[str, str], dict]:
    """A .po file's entries by (context, msgid): their plural, translations and flags.
    Obsolete entries (#~) and the header are left out."""
    entries: dict[tuple[str, str], dict] = {}
    entry: dict = {}
    key = None

    def finish() -> None:
        if entry.get("msgid"):
            entries[(entry.get("msgctxt", ""), entry["msgid"])] = entry

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            finish()
            entry, key = {}, None
        elif line.startswith("#,"):
            entry.setdefault("flags", set()).update(f.strip() for f in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            entry[key] += _unquote(line)
        else:
            key, _space, value = line.partition(" ")
            entry[key] = _unquote(value)
    finish()
    return entries


def _unquote(text: str) -> str:
    text = text.strip()
    assert text.startswith('"') and text.endswith('"'), text
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), text[1:-1])


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> dict[tuple[str, str], dict]:
    """The texts the sources mark today, extracted by makemessages as `make messages` does,
    from a copy of the sources (so the committed files are not touched)."""
    root = tmp_path_factory.mktemp("sources")
    for path in STEWARD.rglob("*"):
        relative = path.relative_to(STEWARD)
        skipped = {"tests", "locale", "static", "__pycache__"}
        if path.suffix in (".py", ".html", ".txt") and not skipped & set(relative.parts):
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, root / relative)
    (root / "locale").mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        call_command("makemessages", locale=["fr"], add_location="file", verbosity=0)
    return read_po(root / "locale" / "fr" / "LC_MESSAGES" / "django.po")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_marked_text_is_in_the_message_file(language, extracted):
    entries = read_po(LOCALE / language / "LC_MESSAGES" / "django.po")
    missing = sorted(msgid for context, msgid in extracted if (context, msgid) not in entries)
    assert not missing, f"run `make messages`; {language} lacks {len(missing)}: {missing[:10]}"
    stale = sorted(msgid for context, msgid in entries if (context, msgid) not in extracted)
    assert not stale, f"run `make messages`; {language} has unused texts: {stale[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_header_names_the_language_and_its_plurals(language):
    """A fuzzy header is left out of the compiled catalogue, and with it the plural rule:
    Arabic's six forms would then be chosen by English's rule."""
    header = (LOCALE / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    header = header.split("\n\n", 1)[0]
    assert "#, fuzzy" not in header
    assert f'"Language: {language}\\n"' in header
    assert '"Plural-Forms: nplurals=' in header


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_is_translated(language):
    entries = read_po(LOCALE / language / "LC_MESSAGES" / "django.po")
    assert entries
    untranslated = sorted(
        msgid
        for (_context, msgid), entry in entries.items()
        if "fuzzy" in entry.get("flags", ())
        or not all(value for key, value in entry.items() if key.startswith("msgstr"))
    )
    assert not untranslated, (
        f"{len(untranslated)} of {len(entries)} texts in {language} are untranslated or"
        f" fuzzy: {untranslated[:10]}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalogue_matches_the_message_file(language, tmp_path):
    """The committed .mo is what compiling the .po gives, and msgfmt accepts the .po (its
    placeholders match the English ones)."""
    folder = LOCALE / language / "LC_MESSAGES"
    compiled = tmp_path / "django.mo"
    result = subprocess.run(
        ["msgfmt", "--check-format", "-o", compiled, folder / "django.po"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (folder / "django.mo").exists(), "run `make messages`"
    with compiled.open("rb") as fresh, (folder / "django.mo").open("rb") as committed:
        expected = gettext.GNUTranslations(fresh)._catalog
        actual = gettext.GNUTranslations(committed)._catalog
    assert actual == expected, "the .mo is older than the .po: run `make messages`"


# Templates ------------------------------------------------------------------------------

TAG = re.compile(r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}", re.S)
# Blocks whose insides are not shown as written: translated as a whole, or comments.
SKIPPED_BLOCKS = {
    "blocktranslate": "endblocktranslate",
    "blocktrans": "endblocktrans",
    "comment": "endcomment",
}
# Attributes a person reads or hears.
SPOKEN_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "label"}
# Not words: code is shown as written, and so are these names and units.
CODE_ELEMENTS = {"code", "pre", "kbd", "samp", "script", "style"}
NOT_WORDS = re.compile(r"(?<!\w)(/[\w./-]*|SHA-256)(?!\w)")
WORD = re.compile(r"[^\W\d_]{2,}")


def without_template_code(source: str) -> str:
    """The template's markup with each tag and variable replaced by a space, and the
    insides of translated blocks and comments left out."""
    out, position, closing = [], 0, None
    for match in TAG.finditer(source):
        if closing is None:
            out.append(source[position : match.start()])
            opening = re.match(r"\{%\s*(\w+)", match.group(0))
            if opening and opening.group(1) in SKIPPED_BLOCKS:
                closing = SKIPPED_BLOCKS[opening.group(1)]
        elif re.match(r"\{%\s*" + closing + r"\b", match.group(0)):
            closing = None
        out.append(" ")
        position = match.end()
    out.append(source[position:])
    return "".join(out)


class UntranslatedText(HTMLParser):
    """Collects the visible text and spoken attributes that contain words."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self.code_depth = 0

    def handle_starttag(self, tag, attrs):
        if tag in CODE_ELEMENTS:
            self.code_depth += 1
        values = dict(attrs)
        for name, value in attrs:
            shown = name in SPOKEN_ATTRIBUTES or (
                tag == "input" and name == "value" and values.get("type") in ("submit", "button")
            )
            if shown and value:
                self.check(value)

    def handle_endtag(self, tag):
        if tag in CODE_ELEMENTS:
            self.code_depth = max(0, self.code_depth - 1)

    def handle_data(self, data):
        if not self.code_depth:
            self.check(data)

    def check(self, text: str) -> None:
        if WORD.search(NOT_WORDS.sub(" ", text)):
            self.found.append((self.getpos()[0], " ".join(text.split())))


def untranslated_text(source: str, *, html: bool = True) -> list[tuple[int, str]]:
    stripped = without_template_code(source)
    if not html:
        # An email: every line is text.
        return [
            (number, line.strip())
            for number, line in enumerate(stripped.splitlines(), start=1)
            if WORD.search(NOT_WORDS.sub(" ", line))
        ]
    parser = UntranslatedText()
    parser.feed(stripped)
    parser.close()
    return parser.found


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(STEWARD)))
def test_templates_mark_their_text_for_translation(path):
    found = untranslated_text(path.read_text(encoding="utf-8"), html=path.suffix == ".html")
    assert not found, f"wrap in {{% translate %}} or {{% blocktranslate %}}: {found}"


@pytest.mark.parametrize(
    "source",
    [
        "<p>Hello</p>",
        '<button aria-label="Close">×</button>',
        '<img alt="A chart" src="x.png">',
        "{% if x %}<span>Yes</span>{% endif %}",
        '<input type="submit" value="Send">',
        "{% blocktranslate %}Hello {{ name }}{% endblocktranslate %}, and welcome",
    ],
)
def test_the_template_check_finds_untranslated_text(source):
    assert untranslated_text(source)


@pytest.mark.parametrize(
    "source",
    [
        "<p>{% translate 'Hello' %}</p>",
        "<p>{% blocktranslate trimmed %}Hello, {{ name }}{% endblocktranslate %}</p>",
        "<p>{{ dataset.name }} · {{ count|intcomma }} → 3 %</p>",
        "<code>pip install datacollective</code>",
        "{% comment %}Notes for developers{% endcomment %}",
        '<a href="/datasets/x" title="{% translate "Open" %}">→</a>',
        "<p>SHA-256 <code>{{ blob.sha256 }}</code></p>",
    ],
)
def test_the_template_check_allows_translated_text_code_and_symbols(source):
    assert not untranslated_text(source)


def test_the_email_check_reads_every_line():
    assert untranslated_text("{% load i18n %}Hello {{ name }}\n", html=False)
    assert not untranslated_text("{% translate 'Hello' %} {{ base_url }}/datasets/1\n", html=False)


# The switcher ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_language_switcher_keeps_the_page_and_the_choice(client):
    page = reverse("catalog:dataset-list")
    html = client.get(page).content.decode()
    assert '<form class="language-form"' in html
    for code, name in settings.LANGUAGES:
        assert f'<option value="{code}" lang="{code}"' in html and name in html

    response = client.post(reverse("set_language"), {"language": "ar", "next": page})

    assert response.status_code == 302 and response["Location"] == page
    html = client.get(page).content.decode()
    # The cookie carries the choice to the next page, which reads right to left.
    assert '<html lang="ar" dir="rtl">' in html
    assert '<option value="ar" lang="ar" selected>' in html


@pytest.mark.parametrize(
    "message", ["slug: is taken", "slug : est pris", "slug\u202f: est pris", "slug:is taken"]
)
def test_forms_show_a_translated_message_without_its_field_name(message):
    shown = without_field_name(DomainError(message, field="slug"))
    assert shown in ("is taken", "est pris")
