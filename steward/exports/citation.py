"""How to cite a dataset version in BibTeX: one entry for the Croissant's `citeAs` and the
Hugging Face card's Citation section."""

from django.conf import settings

from steward.catalog.models import Dataset, DatasetVersion

# TeX's special characters, written so that they print as themselves inside a braced field.
_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def tex(text: str) -> str:
    """Text inside a BibTeX braced field: on one line, TeX's special characters escaped."""
    return "".join(_SPECIALS.get(c, c) for c in " ".join(text.split()))


def bibtex(dataset: Dataset, version: DatasetVersion | None, *, title: str, url: str) -> str:
    """A @misc entry for `version` of `dataset`. The organization is the author, in double
    braces so that BibTeX keeps it whole instead of reading it as a person's names."""
    number = version.number if version else 1
    published_at = (version.published_at if version else None) or dataset.published_at
    fields = [("title", tex(title)), ("author", "{" + tex(dataset.organization.name) + "}")]
    if published_at:
        fields.append(("year", str(published_at.year)))
    fields += [
        ("publisher", tex(settings.STEWARD_OPERATOR_NAME)),
        ("version", str(number)),
        ("url", url),
    ]
    key = f"steward-{dataset.public_id.lower()}-v{number}"
    lines = [f"@misc{{{key},", *(f"  {name} = {{{value}}}," for name, value in fields)]
    return "\n".join(lines) + "\n}"
