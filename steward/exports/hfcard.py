"""A Hugging Face dataset card (README.md) for a dataset, so that a community that chooses to
mirror its metadata on the Hub has a card that says the same as Steward.

The YAML front matter uses only values the Hub knows (huggingface.yaml): the licence by the
Hub's identifier, or `other` with its name and link; the task as Hub task categories; the
language by its shortest ISO 639 code (639-1 where there is one, else 639-3), as Steward
stores it; the size bucket by the number of files in the archive (the one count Steward has
for every kind of data), once the archive's inspection has counted them. A dataset that
needs asking is gated: the gate's texts send people to Steward's request-access page,
since only Steward decides.

The body is the datasheet in Markdown. Text from the datasheet is written as text: HTML
characters are escaped, and one-line fields are kept to one line.
"""

import html
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from steward.catalog.models import Dataset, DatasetFile, Inspection, Task
from steward.catalog.views import DATASHEET_CONTACTS, DATASHEET_TEXTS
from steward.licensing.licences import PREDEFINED, licence_name
from steward.licensing.services import terms_text

from .citation import bibtex

VOCABULARY_FILE = Path(__file__).with_name("huggingface.yaml")

# Steward's predefined licences that the Hub knows; any other licence is `other`.
LICENSES = {
    "Apache-2.0": "apache-2.0",
    "BSD-3-Clause": "bsd-3-clause",
    "CC-BY-4.0": "cc-by-4.0",
    "CC-BY-ND-4.0": "cc-by-nd-4.0",
    "CC-BY-NC-4.0": "cc-by-nc-4.0",
    "CC-BY-NC-SA-4.0": "cc-by-nc-sa-4.0",
    "CC-BY-SA-4.0": "cc-by-sa-4.0",
    "CC0-1.0": "cc0-1.0",
    "AGPL-3.0": "agpl-3.0",
    "GFDL-1.3": "gfdl",
    "GPL-3.0": "gpl-3.0",
    "LGPLLR": "lgpl-lr",
    "MIT": "mit",
    "MPL-2.0": "mpl-2.0",
    "ODC-By-1.0": "odc-by",
    "ODbL-1.0": "odbl",
    "Unlicense": "unlicense",
}
# Steward's tasks as Hub task categories. Broad fields that name no task of the Hub's
# (NLP, computer vision, machine learning) are `other`; language identification is a
# classification of audio or of text, told apart by the data's format.
TASKS: dict[str, list[str]] = {
    Task.NA: [],
    Task.NLP: ["other"],
    Task.ASR: ["automatic-speech-recognition"],
    Task.LID: ["text-classification"],
    Task.TTS: ["text-to-speech"],
    Task.MT: ["translation"],
    Task.LM: ["text-generation", "fill-mask"],
    Task.LLM: ["text-generation"],
    Task.NLU: ["text-classification"],
    Task.NLG: ["text-generation"],
    Task.CALL: ["other"],
    Task.RAG: ["text-retrieval", "question-answering"],
    Task.CV: ["other"],
    Task.ML: ["other"],
    Task.OTH: ["other"],
}
AUDIO_FORMATS = {"WAV", "MP3", "FLAC", "OGG", "OPUS", "M4A", "AAC", "WEBM", "AIFF", "AMR"}

# Characters YAML reads as line breaks: a value holding one is written double-quoted, on
# one line, so that no line of the front matter can read as its closing "---".
_LINE_BREAKS = ("\n", "\r", "\x85", "\u2028", "\u2029")


@cache
def vocabulary() -> dict[str, Any]:
    """The Hub's accepted values (huggingface.yaml)."""
    return yaml.safe_load(VOCABULARY_FILE.read_text())


def hub_license(abbreviation: str) -> str:
    """The Hub's identifier of a Steward licence: `other` when the Hub does not know it,
    `unknown` when the dataset names none."""
    if not abbreviation:
        return "unknown"
    return LICENSES.get(abbreviation, "other")


def hub_tasks(task: str, data_format: str = "") -> list[str]:
    """The Hub's task categories for a Steward task code."""
    if task == Task.LID and data_format.upper() in AUDIO_FORMATS:
        return ["audio-classification"]
    return list(TASKS.get(task, []))


def size_category(count: int) -> str:
    """The Hub's size bucket for `count` examples."""
    label = ""
    for bucket in vocabulary()["size_categories"]:
        if count >= bucket["from"]:
            label = bucket["label"]
    return label


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if any(mark in value for mark in _LINE_BREAKS) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _line(text: str) -> str:
    """One-line text for Markdown: whitespace runs folded, HTML characters escaped."""
    return html.escape(" ".join(text.split()), quote=False)


def _paragraphs(text: str) -> str:
    """Multi-line text for Markdown, its line breaks kept, HTML characters escaped."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return html.escape("\n".join(lines), quote=False)


def _file_count(dataset: Dataset) -> int | None:
    """The number of files in the current archive, once its inspection counted them."""
    version = dataset.current_version
    if version is None:
        return None
    inspection = (
        Inspection.objects.filter(
            blob__in=DatasetFile.objects.filter(
                version=version, role=DatasetFile.Role.ARCHIVE
            ).values("blob"),
            finished_at__isnull=False,
        )
        .exclude(status=Inspection.Status.REJECTED)
        .first()
    )
    if inspection is None:
        return None
    return inspection.report.get("totals", {}).get("files")


def _absolute(name: str, *args) -> str:
    return settings.STEWARD_BASE_URL + reverse(name, args=args)


def front_matter(dataset: Dataset) -> dict[str, Any]:
    """The card's metadata, as the Hub reads it."""
    policy = dataset.usage_policy.current if dataset.usage_policy else None
    data: dict[str, Any] = {
        "pretty_name": dataset.name,
        "language": [dataset.language.code],
        "license": hub_license(dataset.license_abbreviation),
    }
    if data["license"] == "other":
        known = PREDEFINED.get(dataset.license_abbreviation)
        data["license_name"] = licence_name(dataset.license_abbreviation, dataset.license_name)
        data["license_link"] = (known.url if known else dataset.license_url) or _absolute(
            "catalog:dataset-detail", dataset.public_id
        )
    tasks = hub_tasks(dataset.task, dataset.format)
    if tasks:
        data["task_categories"] = tasks
    count = _file_count(dataset)
    if count is not None:
        data["size_categories"] = [size_category(count)]
    tags = ["steward"]
    if dataset.format and (tag := slugify(dataset.format)):
        tags.append(tag)
    data["tags"] = tags
    if policy is None or not policy.terms.is_open:
        request_url = _absolute("access:request-access", dataset.public_id)
        data["extra_gated_heading"] = _("Request access where this dataset is published")
        data["extra_gated_description"] = _(
            "%(organization)s decides who may use this dataset. Request access on its page"
            " first: %(url)s"
        ) % {"organization": dataset.organization.name, "url": request_url}
        data["extra_gated_prompt"] = _(
            "Access is granted at %(url)s under the terms set there. Ask there first, then"
            " confirm below."
        ) % {"url": request_url}
        data["extra_gated_fields"] = {
            _("Your access request or grant ID"): "text",
            _("I have been granted access where the dataset is published"): "checkbox",
            _("I accept the dataset's terms"): "checkbox",
        }
        data["extra_gated_button_content"] = _("Confirm")
    return data


def _summary(dataset: Dataset, page: str) -> list[str]:
    version = dataset.current_version
    language = dataset.language
    rows = [
        (_("Published by"), _line(dataset.organization.name)),
        (_("Language"), f"{_line(language.name)} (`{dataset.locale}`)"),
    ]
    if dataset.task:
        rows.append((_("Task"), _line(dataset.get_task_display())))
    if dataset.format:
        rows.append((_("Format"), _line(dataset.format)))
    if dataset.size_bytes:
        rows.append((_("Archive size"), str(filesizeformat(dataset.size_bytes))))
    if dataset.license_abbreviation:
        known = PREDEFINED.get(dataset.license_abbreviation)
        name = _line(licence_name(dataset.license_abbreviation, dataset.license_name))
        url = known.url if known else dataset.license_url
        # Brackets in a link's text would end it early.
        label = name.replace("[", "\\[").replace("]", "\\]")
        rows.append((_("Licence"), f"[{label}]({url})" if url else name))
    if version is not None:
        rows.append((_("Version"), str(version.number)))
    rows.append((_("Dataset page"), page))
    return [f"- **{label}:** {value}" for label, value in rows]


def _access(dataset: Dataset, page: str, is_open: bool) -> str:
    if is_open:
        return _(
            "Anyone with an account may download it from its page (%(url)s), with the API or"
            " with the `datacollective` Python SDK: `datacollective.download_dataset(%(id)r,"
            " 'data/')`."
        ) % {"url": page, "id": dataset.public_id}
    return _(
        "Request access at %(url)s. The organization's terms decide who may use it and how;"
        " once access is granted, download it from its page, with the API or with the"
        " `datacollective` Python SDK."
    ) % {"url": _absolute("access:request-access", dataset.public_id)}


def _citation(dataset: Dataset, page: str) -> list[str]:
    entry = bibtex(dataset, dataset.current_version, title=dataset.name, url=page)
    return ["```bibtex", *entry.splitlines(), "```"]


def render_card(dataset: Dataset) -> str:
    """The dataset's README.md: YAML front matter, then the datasheet in Markdown."""
    page = _absolute("catalog:dataset-detail", dataset.public_id)
    policy = dataset.usage_policy.current if dataset.usage_policy else None
    is_open = policy is not None and policy.terms.is_open
    sheet = dataset.current_version.datasheet if dataset.current_version else {}
    meta = yaml.dump(
        front_matter(dataset), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=10**9
    )
    out = ["---", meta.rstrip("\n"), "---", "", f"# {_line(dataset.name)}", ""]
    if dataset.short_description:
        out += [_line(dataset.short_description), ""]
    if dataset.long_description:
        out += [_paragraphs(dataset.long_description), ""]
    out += [f"## {_('Summary')}", "", *_summary(dataset, page), ""]
    out += [f"## {_('How to get access')}", "", _access(dataset, page, is_open), ""]
    if policy is not None:
        terms = policy.terms
        sentences = terms_text(terms)
        out += [f"## {_('Terms')}", ""]
        out += [f"- {_line(sentence)}" for sentence in sentences]
        if terms.conditions.strip():
            out += ["", f"**{_('Further conditions')}:** {_paragraphs(terms.conditions)}"]
        out += [""]
    texts = [(label, sheet[key]) for key, label in DATASHEET_TEXTS if sheet.get(key)]
    if texts:
        out += [f"## {_('Datasheet')}", ""]
        for label, text in texts:
            out += [f"### {label}", "", _paragraphs(text), ""]
    if sheet.get("show_contact_info"):
        contacts = []
        for key, label in DATASHEET_CONTACTS:
            name = sheet.get(f"{key}_full_name", "")
            email = sheet.get(f"{key}_email", "")
            if name or email:
                parts = [_line(name), f"<{email}>" if email else ""]
                who = " ".join(part for part in parts if part)
                contacts.append(f"- **{label}:** {who}")
        if contacts:
            out += [f"## {_('Contact')}", "", *contacts, ""]
    out += [f"## {_('Citation')}", "", *_citation(dataset, page), ""]
    note = _(
        "This card was generated from the dataset's page, %(url)s, which stays the reference:"
        " its terms may change."
    )
    out += [note % {"url": page}, ""]
    return "\n".join(out)
