"""The submission pages' forms: one per step of the datasheet, posting the MDC API's
camelCase field names so a service error's `field` names the form field too."""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from steward.lib.countries import country_choices
from steward.lib.errors import DomainError, without_field_name
from steward.lib.money import format_money
from steward.licensing.document import MAX_GRANT_DAYS, MAX_GUARDIANS, MAX_LICENCE_TEXT, MAX_TEXT
from steward.licensing.engine import Approval, GeographyMode, OrganizationType, Purpose
from steward.licensing.labels import LABELS, MAX_COMMUNITY, MAX_LABEL_TEXT
from steward.licensing.licences import PREDEFINED
from steward.licensing.regions import REGION_NAMES, REGIONS
from steward.licensing.services import terms_text

from .datasheet import BY_API_NAME, MAX_PRICE_CENTS, MIN_PRICE_CENTS, missing_for_submission
from .models import Submission, Task, Visibility
from .services import ATTESTATION_FIELDS
from .terms import TermsError, policy_for

CUSTOM_LICENCE = "custom"


def _text(
    api_name: str,
    label,
    *,
    rows: int = 0,
    widget: forms.Widget | None = None,
    max_length: int | None = None,
    help_text="",
    required: bool = False,
) -> forms.CharField:
    """A text field; a datasheet field's length limit comes from the datasheet table."""
    if rows:
        widget = forms.Textarea(attrs={"rows": rows})
    return forms.CharField(
        label=label,
        max_length=max_length or BY_API_NAME[api_name].max_length,
        required=required,
        help_text=help_text,
        widget=widget or forms.TextInput(),
    )


def _flag(label, help_text="") -> forms.BooleanField:
    return forms.BooleanField(label=label, required=False, help_text=help_text)


def _yes_no(label, *, default: bool) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        required=False,
        choices=[("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda value: value == "yes",
        empty_value=default,
        initial="yes" if default else "no",
        widget=forms.RadioSelect,
    )


def add_domain_error(form: forms.Form, exc: DomainError, field: str | None = None) -> None:
    """Show a service's refusal next to `field` (by default the one it names), else above."""
    field = field or exc.field
    if field not in form.fields:
        form.add_error(None, exc.message)
        return
    form.add_error(field, without_field_name(exc))


class StepForm(forms.Form):
    """One step of the datasheet. `revision` is the copy the page was made from."""

    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    # Fieldsets as (legend, field names); empty means one fieldset with the step's title.
    groups: list[tuple[Any, list[str]]] = []

    def __init__(self, *args, submission: Submission, **kwargs):
        self.submission = submission
        super().__init__(*args, **kwargs)

    def field_groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        groups = self.groups or [(None, [name for name in self.fields if name != "revision"])]
        return [
            (legend, [self[name] for name in names if name in self.fields])
            for legend, names in groups
        ]

    @classmethod
    def initial_for(cls, submission: Submission) -> dict[str, Any]:
        sheet = submission.datasheet
        initial: dict[str, Any] = {"revision": submission.revision}
        for name in cls.base_fields:
            if name in BY_API_NAME:
                initial[name] = sheet.get(BY_API_NAME[name].name)
            elif name in ATTESTATION_FIELDS:
                initial[name] = getattr(submission, ATTESTATION_FIELDS[name])
        return initial

    def to_data(self) -> dict[str, Any]:
        """The camelCase changes for update_submission."""
        return {k: v for k, v in self.cleaned_data.items() if k != "revision"}

    def field_for(self, api_name: str | None) -> str | None:
        return api_name if api_name in self.fields else None

    def add_domain_error(self, exc: DomainError) -> None:
        add_domain_error(self, exc, self.field_for(exc.field))


class DescriptionForm(StepForm):
    name = _text("name", _("Name"), required=True)
    slug = _text(
        "slug",
        _("Short name for its web address"),
        max_length=120,
        help_text=_(
            "Lower-case letters, digits and hyphens. Leave empty to make one from the name."
        ),
    )
    shortDescription = _text(
        "shortDescription",
        _("Short description"),
        help_text=_("One sentence, shown in search results (at most 160 characters)."),
    )
    longDescription = _text(
        "longDescription",
        _("Long description"),
        rows=8,
        help_text=_("What is in the data, how it was collected, and by whom."),
    )
    locale = _text(
        "locale",
        _("Language"),
        help_text=_("A language code, with a region if it matters: sw, ln, yo, pt-BR."),
    )
    task = forms.ChoiceField(
        label=_("Task"), required=False, choices=[("", _("Choose a task")), *Task.choices]
    )
    format = _text("format", _("Format"), help_text=_("For example WAV, MP3, TXT or CSV."))
    annotationProcess = _text(
        "annotationProcess",
        _("Annotation and transcription"),
        rows=4,
        help_text=_(
            "Who transcribed or labelled the data, what instructions they followed, and how"
            " their work was checked. For example: “Two speakers of the language transcribed"
            " each recording using the radio's spelling guide; a third checked one in ten.”"
        ),
    )
    knownBiases = _text(
        "knownBiases",
        _("Known biases and gaps"),
        rows=4,
        help_text=_(
            "Who or what appears more, or less, than in real life: speakers, dialects, genders,"
            " ages, places, topics. For example: “Mostly men over 40 from Kinshasa; few"
            " speakers of the eastern dialects.” It tells users where tools made from the data"
            " may work less well."
        ),
    )

    groups = [
        (
            None,
            ["name", "slug", "shortDescription", "longDescription", "locale", "task", "format"],
        ),
        (_("How it was transcribed, and what it lacks"), ["annotationProcess", "knownBiases"]),
    ]

    def __init__(self, *args, submission: Submission, **kwargs):
        super().__init__(*args, submission=submission, **kwargs)
        # A new version keeps its dataset's address.
        if submission.dataset_id is not None:
            del self.fields["slug"]

    @classmethod
    def initial_for(cls, submission: Submission) -> dict[str, Any]:
        return {**super().initial_for(submission), "slug": submission.slug}


# --- Terms of use: a usage policy (licensing/document.py), field by field ---------------

PRICE_RULES = 3  # price rules the web form shows; the API takes up to 50
OPTIONAL_MARK = "(optional)"
QUESTION_ID = re.compile(r"q(\d+)")

PURPOSE_CHOICES = [
    (Purpose.RESEARCH.value, pgettext_lazy("purpose", "Research")),
    (Purpose.EDUCATION.value, pgettext_lazy("purpose", "Education")),
    (Purpose.NON_COMMERCIAL.value, pgettext_lazy("purpose", "Other non-commercial use")),
    (Purpose.COMMERCIAL.value, pgettext_lazy("purpose", "Commercial use")),
]
ORGANIZATION_TYPE_CHOICES = [
    (OrganizationType.INDIVIDUAL.value, pgettext_lazy("organization type", "Individuals")),
    (OrganizationType.ACADEMIC.value, pgettext_lazy("organization type", "Academic institutions")),
    (OrganizationType.NONPROFIT.value, pgettext_lazy("organization type", "Nonprofits")),
    (
        OrganizationType.COMMUNITY.value,
        pgettext_lazy("organization type", "Community organizations"),
    ),
    (OrganizationType.GOVERNMENT.value, pgettext_lazy("organization type", "Government bodies")),
    (OrganizationType.COMPANY.value, pgettext_lazy("organization type", "Companies")),
]
GEOGRAPHY_CHOICES = [
    (GeographyMode.ANYWHERE.value, _("Anywhere")),
    (GeographyMode.ALLOW.value, _("Only in the countries and regions chosen below")),
    (GeographyMode.DENY.value, _("Everywhere except the countries and regions chosen below")),
]
APPROVAL_CHOICES = [
    (Approval.AUTOMATIC.value, _("Automatically, when the requester meets these terms")),
    (Approval.MANUAL.value, _("The organization approves each request")),
]
INSIDE, OUTSIDE = "inside", "outside"
WHERE_CHOICES = [(INSIDE, _("In these places")), (OUTSIDE, _("Outside these places"))]


def place_choices() -> list[tuple[Any, list[tuple[str, str]]]]:
    """What a policy may name as a place: regions (regions.py), then countries by name."""
    regions = [
        (code, _capitalised(gettext(REGION_NAMES[code]).removeprefix("the "))) for code in REGIONS
    ]
    # country_choices() starts with its "Choose a country" prompt.
    return [(_("Regions"), regions), (_("Countries"), country_choices()[1:])]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _dollars(label, *, help_text="") -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=Decimal(0),
        max_digits=9,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


def _cents(dollars: Decimal) -> int:
    return int(dollars * 100)


def _price_range_error(dollars: Decimal, *, free_allowed: bool) -> forms.ValidationError | None:
    low, high = Decimal(MIN_PRICE_CENTS) / 100, Decimal(MAX_PRICE_CENTS) / 100
    if (free_allowed and dollars == 0) or low <= dollars <= high:
        return None
    message = (
        _("Enter 0 for free, or a price from %(low)s to %(high)s US dollars.")
        if free_allowed
        else _("Enter a price from %(low)s to %(high)s US dollars.")
    )
    return forms.ValidationError(
        message,
        params={
            "low": number_format(low, 2, force_grouping=True),
            "high": number_format(high, 2, force_grouping=True),
        },
        code="price_range",
    )


def _places_field(label, help_text="") -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        required=False,
        choices=place_choices,
        help_text=help_text,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )


def _price_rule_fields(n: int) -> dict[str, forms.Field]:
    """The fields of the form's price rule `n` (1, 2, 3): who it is for, and their price."""
    return {
        f"rule{n}Purposes": forms.MultipleChoiceField(
            label=_("For these purposes"),
            required=False,
            choices=PURPOSE_CHOICES,
            widget=forms.CheckboxSelectMultiple,
            help_text=_("None ticked: any purpose."),
        ),
        f"rule{n}Places": _places_field(
            _("Countries and regions"),
            _("None chosen: anywhere. Hold Ctrl (⌘ on a Mac) to choose several."),
        ),
        f"rule{n}Where": forms.ChoiceField(
            label=_("Requesters"),
            required=False,
            choices=WHERE_CHOICES,
            widget=forms.RadioSelect,
        ),
        f"rule{n}OrganizationTypes": forms.MultipleChoiceField(
            label=_("For these kinds of organization"),
            required=False,
            choices=ORGANIZATION_TYPE_CHOICES,
            widget=forms.CheckboxSelectMultiple,
            help_text=_("None ticked: any kind."),
        ),
        f"rule{n}Price": _dollars(_("Their price in US dollars"), help_text=_("0 for free.")),
    }


PRICE_RULE_FIELDS = [name for n in range(1, PRICE_RULES + 1) for name in _price_rule_fields(n)]

# The facts of a custom licence: form field, usagePolicy.licence key, default.
CUSTOM_LICENCE_FACTS = [
    ("licenceAttribution", "attribution", True),
    ("licenceCommercialUse", "commercialUse", True),
    ("licenceDerivatives", "derivatives", True),
    ("licenceShareAlike", "shareAlike", False),
]

LABEL_ROWS = 3  # Local Contexts labels the web form shows; the API takes up to 20


def _label_choices() -> list[tuple[str, Any]]:
    groups: dict[str, list[tuple[str, str]]] = {}
    for label in LABELS.values():
        groups.setdefault(label.kind_name, []).append((label.id, label.name))
    return [("", _("(none)")), *groups.items()]


def _label_fields(n: int) -> dict[str, forms.Field]:
    """The fields of the form's Local Contexts label `n` (1, 2, 3)."""
    return {
        f"label{n}Id": forms.ChoiceField(
            label=_("Label or notice %(number)s") % {"number": n},
            required=False,
            choices=_label_choices,
        ),
        f"label{n}Community": forms.CharField(
            label=_("Applied by (community)"), required=False, max_length=MAX_COMMUNITY
        ),
        f"label{n}Text": forms.CharField(
            label=_("The community's words"),
            required=False,
            max_length=MAX_LABEL_TEXT,
            widget=forms.Textarea(attrs={"rows": 2}),
        ),
    }


LABEL_FIELDS = [name for n in range(1, LABEL_ROWS + 1) for name in _label_fields(n)]
_LABEL_KEY_FIELD = {"id": "Id", "community": "Community", "text": "Text"}
# Where each key of a price rule is edited: the suffix of the rule's form fields.
_RULE_KEY_FIELD = {
    "purposes": "Purposes",
    "places": "Places",
    "outsidePlaces": "Places",
    "organizationTypes": "OrganizationTypes",
    "priceCents": "Price",
}
# Where each top-level key of a usagePolicy is edited.
_POLICY_KEY_FIELD = {
    "attribution": "attribution",
    "purposes": "purposes",
    "geography": "geographyMode",
    "pricing": "price",
    "approval": "approval",
    "requestRequired": "requestRequired",
    "guardiansRequired": "guardiansRequired",
    "grantDays": "grantDays",
    "renewalReportRequired": "renewalReportRequired",
    "verifiedOrganizationRequired": "verifiedOrganizationRequired",
    "questions": "questions",
    "conditions": "conditions",
    "licence": "licenceText",
}


class UsagePolicyForm(forms.Form):
    """A dataset's terms of use; `to_usage_policy()` is the API's `usagePolicy` object.

    `document` is the stored policy the form edits. It keeps what the form does not show (the
    licence's facts, licence and label rules, price rules past the third) and gives unchanged
    questions their ids back, so answers keep meaning the same question."""

    # A paid draft may wait for its price; published terms may not.
    requires_price = True
    # The field that edits the policy's conditions.
    conditions_field = "conditions"

    attribution = forms.CharField(
        label=_("Credit line"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "How users must credit the data, for example “Radio Kinshasa Community, 2025”."
        ),
    )
    purposes = forms.MultipleChoiceField(
        label=_("Allowed purposes"),
        required=False,
        choices=PURPOSE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "None ticked: any purpose the licence allows. Research and education count as"
            " non-commercial."
        ),
    )
    geographyMode = forms.ChoiceField(
        label=_("Where the data may be used"),
        required=False,
        choices=GEOGRAPHY_CHOICES,
        widget=forms.RadioSelect,
    )
    geographyPlaces = _places_field(
        _("Countries and regions"),
        _(
            "Hold Ctrl (⌘ on a Mac) to choose several. A region stands for all its countries."
            " Ignored when the data may be used anywhere."
        ),
    )
    isPaid = _flag(_("Paid dataset"), help_text=_("Users pay the price below to download it."))
    price = _dollars(
        _("Price in US dollars"),
        help_text=_(
            "The base price, for everyone no price rule below matches. All of it goes to your"
            " organization; the buyer pays the platform fee on top."
        ),
    )
    approval = forms.ChoiceField(
        label=_("How access requests are answered"),
        required=False,
        choices=APPROVAL_CHOICES,
        widget=forms.RadioSelect,
        help_text=_("Automatic answers still refuse anyone these terms rule out."),
    )
    requestRequired = _flag(
        _("Everyone must request access"),
        help_text=_(
            "Shown as “restricted” in the catalogue. Without it, anyone the terms allow"
            " downloads without asking."
        ),
    )
    guardiansRequired = forms.IntegerField(
        label=_("Approvals needed"),
        required=False,
        min_value=1,
        max_value=MAX_GUARDIANS,
        help_text=_(
            "How many members (guardians) must approve each request when the organization"
            " approves, from 1 to 20. Empty: 1."
        ),
    )
    verifiedOrganizationRequired = _flag(
        _("Only requesters whose organization is verified"),
        help_text=_("Their organization's website must match the address they signed up with."),
    )
    grantDays = forms.IntegerField(
        label=_("Access lasts (days)"),
        required=False,
        min_value=1,
        max_value=MAX_GRANT_DAYS,
        help_text=_("Empty: access does not expire."),
    )
    renewalReportRequired = _flag(
        _("A report on how the data was used is needed to renew access"),
    )
    questions = forms.CharField(
        label=_("Questions to requesters"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One question per line; each must be answered. End a line with “(optional)” for"
            " a question they may leave unanswered."
        ),
    )
    licenceText = forms.CharField(
        label=_("Text of your own licence"),
        required=False,
        max_length=MAX_LICENCE_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Only for a licence of your own (not one from the list): its full text, shown on"
            " the dataset's page."
        ),
    )
    licenceAttribution = _yes_no(_("Your licence requires credit"), default=True)
    licenceCommercialUse = _yes_no(_("Your licence allows commercial use"), default=True)
    licenceDerivatives = _yes_no(_("Your licence allows derived works"), default=True)
    licenceShareAlike = _yes_no(_("Derived works must be shared under your licence"), default=False)
    conditions = forms.CharField(
        label=_("Further conditions"),
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Anything else users must respect, in your words."),
    )

    def __init__(self, *args, document: dict[str, Any], **kwargs):
        self.document = document or {}
        super().__init__(*args, **kwargs)
        for n in range(1, PRICE_RULES + 1):
            self.fields.update(_price_rule_fields(n))
        for n in range(1, LABEL_ROWS + 1):
            self.fields.update(_label_fields(n))
        # The form's price rules (1 to 3) in the order they are sent, for errors.
        self.rule_numbers: list[int] = []
        self.label_numbers: list[int] = []

    @staticmethod
    def initial_from(doc: dict[str, Any]) -> dict[str, Any]:
        """The fields' values for a stored policy document."""
        geography = doc.get("geography") or {}
        pricing = doc.get("pricing") or {}
        base = pricing.get("basePriceCents") or 0
        initial = {
            "attribution": doc.get("attribution", ""),
            "purposes": doc.get("purposes", []),
            "geographyMode": geography.get("mode", GeographyMode.ANYWHERE.value),
            "geographyPlaces": geography.get("places", []),
            "isPaid": base > 0,
            "price": Decimal(base).scaleb(-2) if base else None,
            "approval": doc.get("approval", Approval.AUTOMATIC.value),
            "requestRequired": doc.get("requestRequired", False),
            "guardiansRequired": doc.get("guardiansRequired", 1),
            "verifiedOrganizationRequired": doc.get("verifiedOrganizationRequired", False),
            "grantDays": doc.get("grantDays"),
            "renewalReportRequired": doc.get("renewalReportRequired", False),
            "questions": "\n".join(
                q["text"] if q.get("required", True) else f"{q['text']} {OPTIONAL_MARK}"
                for q in doc.get("questions", [])
            ),
            "conditions": doc.get("conditions", ""),
        }
        custom = doc.get("licence") or {}
        initial["licenceText"] = custom.get("text", "")
        for field, key, default in CUSTOM_LICENCE_FACTS:
            initial[field] = "yes" if custom.get(key, default) else "no"
        for n, label in enumerate(doc.get("labels", [])[:LABEL_ROWS], start=1):
            initial.update(
                {
                    f"label{n}Id": label.get("id", ""),
                    f"label{n}Community": label.get("community", ""),
                    f"label{n}Text": label.get("text", ""),
                }
            )
        for n, rule in enumerate(pricing.get("rules", [])[:PRICE_RULES], start=1):
            initial.update(
                {
                    f"rule{n}Purposes": rule.get("purposes", []),
                    f"rule{n}Places": rule.get("places", []),
                    f"rule{n}Where": OUTSIDE if rule.get("outsidePlaces") else INSIDE,
                    f"rule{n}OrganizationTypes": rule.get("organizationTypes", []),
                    f"rule{n}Price": Decimal(rule.get("priceCents", 0)).scaleb(-2),
                }
            )
        return initial

    def clean_price(self) -> Decimal | None:
        price = self.cleaned_data["price"]
        if price is not None and (error := _price_range_error(price, free_allowed=False)):
            raise error
        return price

    def clean_questions(self) -> list[dict[str, Any]]:
        """One question a line; "(optional)" at the end makes it optional. A question whose
        text is unchanged keeps its id; a new one gets the next unused q<n>."""
        lines = [line.strip() for line in self.cleaned_data["questions"].splitlines()]
        previous = self.document.get("questions", [])
        ids_by_text: dict[str, str] = {}
        for question in previous:
            ids_by_text.setdefault(question["text"], question["id"])
        numbers = [int(m[1]) for q in previous if (m := QUESTION_ID.fullmatch(q["id"]))]
        next_number = max(numbers, default=0) + 1
        questions = []
        for line in filter(None, lines):
            required = not line.casefold().endswith(OPTIONAL_MARK)
            text = line if required else line[: -len(OPTIONAL_MARK)].rstrip()
            question_id = ids_by_text.pop(text, None)
            if question_id is None:
                question_id, next_number = f"q{next_number}", next_number + 1
            questions.append({"id": question_id, "text": text, "required": required})
        return questions

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if "price" in cleaned:
            if cleaned["price"] is not None and not cleaned.get("isPaid"):
                self.add_error(
                    "price", _("A free dataset has no price: tick “Paid dataset” or clear it.")
                )
            elif cleaned["price"] is None and cleaned.get("isPaid") and self.requires_price:
                self.add_error("price", _("Enter the price, or untick “Paid dataset”."))
        self.rule_numbers = []
        for n in range(1, PRICE_RULES + 1):
            purposes, places, types, price = (
                cleaned.get(f"rule{n}{suffix}")
                for suffix in ("Purposes", "Places", "OrganizationTypes", "Price")
            )
            audience = purposes or places or types
            if not (audience or price is not None or f"rule{n}Price" in self.errors):
                continue  # an empty rule is not used
            self.rule_numbers.append(n)
            if price is None and f"rule{n}Price" not in self.errors:
                self.add_error(f"rule{n}Price", _("Give this price, or 0 for free."))
            elif price is not None and (error := _price_range_error(price, free_allowed=True)):
                self.add_error(f"rule{n}Price", error)
            if not audience:
                self.add_error(
                    f"rule{n}Purposes",
                    _("Say who this price is for: a purpose, a place or a kind of organization."),
                )
        self.label_numbers = []
        for n in range(1, LABEL_ROWS + 1):
            if not cleaned.get(f"label{n}Id"):
                if cleaned.get(f"label{n}Community") or cleaned.get(f"label{n}Text"):
                    self.add_error(f"label{n}Id", _("Choose the label or notice."))
                continue
            self.label_numbers.append(n)
            if not cleaned.get(f"label{n}Community", "").strip():
                self.add_error(
                    f"label{n}Community", _("Name the community that applied this label.")
                )
        return cleaned

    def _labels(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        labels = [
            {
                "id": data[f"label{n}Id"],
                "community": data[f"label{n}Community"].strip(),
                "text": data[f"label{n}Text"].strip(),
            }
            for n in self.label_numbers
        ]
        # Labels past the form's last (set through the API) are kept as they are.
        return labels + self.document.get("labels", [])[LABEL_ROWS:]

    def _price_rules(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        rules = [
            {
                "purposes": data[f"rule{n}Purposes"],
                "places": data[f"rule{n}Places"],
                "outsidePlaces": data[f"rule{n}Where"] == OUTSIDE,
                "organizationTypes": data[f"rule{n}OrganizationTypes"],
                "priceCents": _cents(data[f"rule{n}Price"]),
            }
            for n in self.rule_numbers
        ]
        # Rules past the form's last (set through the API) are kept as they are.
        return rules + (self.document.get("pricing") or {}).get("rules", [])[PRICE_RULES:]

    def to_usage_policy(self) -> dict[str, Any]:
        """The usagePolicy object for the services; keys the form does not edit are left out,
        so the stored ones stay."""
        data = self.cleaned_data
        mode = data["geographyMode"] or GeographyMode.ANYWHERE.value
        price = data["price"]
        doc = {
            "attribution": data["attribution"],
            "purposes": data["purposes"],
            "geography": {
                "mode": mode,
                "places": [] if mode == GeographyMode.ANYWHERE else data["geographyPlaces"],
            },
            "pricing": {
                "currency": "usd",
                "basePriceCents": _cents(price) if data["isPaid"] and price is not None else 0,
                "rules": self._price_rules(),
            },
            "guardiansRequired": data["guardiansRequired"] or 1,
            "grantDays": data["grantDays"],
            "renewalReportRequired": data["renewalReportRequired"],
            "verifiedOrganizationRequired": data["verifiedOrganizationRequired"],
            "questions": data["questions"],
        }
        labels = self._labels()
        if labels or self.document.get("labels"):
            doc["labels"] = labels
        # A custom licence's text and facts (ignored for a licence from the list), sent when
        # they say more than the defaults or were set before.
        custom = {"text": data["licenceText"].strip()} | {
            key: data[field] for field, key, _default in CUSTOM_LICENCE_FACTS
        }
        defaults = {"text": ""} | {key: default for _f, key, default in CUSTOM_LICENCE_FACTS}
        if custom != defaults or self.document.get("licence"):
            doc["licence"] = custom
        # A post without it (an older page, a script) keeps the stored answer.
        doc["approval"] = data["approval"] or self.document.get("approval", "automatic")
        if "conditions" in self.fields:
            doc["conditions"] = data["conditions"]
        if "requestRequired" in self.fields:
            doc["requestRequired"] = data["requestRequired"]
        return doc

    def policy_field(self, path: str) -> tuple[str | None, str]:
        """The form field that edits a usagePolicy path ("usagePolicy.pricing.rules[0].places[1]")
        and a prefix for the message; None when the form does not show that part."""
        path = path.removeprefix("usagePolicy").removeprefix(".")
        if match := re.match(r"pricing\.rules\[(\d+)\]\.?(\w*)", path):
            index = int(match[1])
            if index >= len(self.rule_numbers):
                return None, ""
            suffix = _RULE_KEY_FIELD.get(match[2], "Price")
            return f"rule{self.rule_numbers[index]}{suffix}", ""
        if match := re.match(r"labels\[(\d+)\]\.?(\w*)", path):
            index = int(match[1])
            if index >= len(self.label_numbers):
                return None, ""
            suffix = _LABEL_KEY_FIELD.get(match[2], "Id")
            return f"label{self.label_numbers[index]}{suffix}", ""
        if match := re.match(r"questions\[(\d+)\]", path):
            return "questions", _("Question %(number)s: ") % {"number": int(match[1]) + 1}
        if path.startswith("geography.places"):
            return "geographyPlaces", ""
        name = _POLICY_KEY_FIELD.get(re.split(r"[.\[]", path)[0])
        if name == "conditions":
            name = self.conditions_field
        return (name if name in self.fields else None), ""

    def add_domain_error(self, exc: DomainError) -> None:
        """Show a service's refusal on the field that edits what it names."""
        if not (exc.field or "").startswith("usagePolicy"):
            add_domain_error(self, exc)
            return
        name, prefix = self.policy_field(exc.field)
        message = without_field_name(exc)
        self.add_error(name, f"{prefix}{message}" if name else exc.message)

    def policy_groups(self) -> list[dict[str, Any]]:
        """The terms' fieldsets: a legend, the bound fields, and for the price its rules."""
        groups = [
            (_("Credit and purposes"), ["attribution", "purposes"]),
            (_("Where"), ["geographyMode", "geographyPlaces"]),
            (_("Price"), ["isPaid", "price"]),
            (
                _("Who decides"),
                [
                    "requestRequired",
                    "approval",
                    "guardiansRequired",
                    "verifiedOrganizationRequired",
                ],
            ),
            (_("How long"), ["grantDays", "renewalReportRequired"]),
            (_("Questions and conditions"), ["questions", self.conditions_field]),
            (_("Local Contexts labels and notices"), LABEL_FIELDS),
            (
                _("Your own licence"),
                ["licenceText", *(field for field, _key, _default in CUSTOM_LICENCE_FACTS)],
            ),
        ]
        return [
            {
                "legend": legend,
                "fields": [self[name] for name in names if name in self.fields],
                "rules": self._rule_groups() if "price" in names else [],
                "labels": names is LABEL_FIELDS,
            }
            for legend, names in groups
        ]

    def _rule_groups(self) -> list[dict[str, Any]]:
        """The price rules, each open when it is used or wrong (closed ones save room)."""
        suffixes = ("Purposes", "Places", "Where", "OrganizationTypes", "Price")
        rules = []
        for n in range(1, PRICE_RULES + 1):
            fields = [self[f"rule{n}{suffix}"] for suffix in suffixes]
            used = any(f.errors or f.value() not in (None, "", [], INSIDE) for f in fields)
            legend = _("Price rule %(number)s") % {"number": n}
            rules.append({"legend": legend, "fields": fields, "open": used})
        return rules


class TermsForm(UsagePolicyForm, StepForm):
    """The licence, the use texts, who can see the dataset, and its terms of use.

    The terms cover some MDC fields, so those are not asked twice (terms.py keeps each pair in
    step): `approval` stands for autoApproveAccessRequests, visibility "restricted" is the
    policy's requestRequired, additionalConditions its conditions, and isPaid with the price
    its base price."""

    requires_price = False
    conditions_field = "additionalConditions"
    conditions = None
    requestRequired = None

    licenseAbbreviation = forms.ChoiceField(
        label=_("Licence"),
        required=False,
        help_text=_("For a licence of your own, choose the last entry and describe it below."),
        choices=[
            ("", _("Choose a licence")),
            *[(key, f"{lic.name} ({key})") for key, lic in PREDEFINED.items()],
            (CUSTOM_LICENCE, _("Another licence, of your own")),
        ],
    )
    customAbbreviation = _text(
        "customAbbreviation",
        _("Short name of your licence"),
        max_length=BY_API_NAME["licenseAbbreviation"].max_length,
        help_text=_("Only for a licence of your own, for example “Community-Licence-1.0”."),
    )
    license = _text("license", _("Full name of your licence"))
    licenseUrl = _text(
        "licenseUrl",
        _("Web address of your licence text"),
        widget=forms.URLInput(),
        help_text=_("Starting with https://"),
    )
    intendedUsage = _text("intendedUsage", _("Intended use"), rows=4)
    restrictions = _text(
        "restrictions",
        _("Restrictions"),
        rows=4,
        help_text=_("Conditions every user must respect, for example “No speaker identification”."),
    )
    forbiddenUsage = _text("forbiddenUsage", _("Forbidden use"), rows=4)
    additionalConditions = _text(
        "additionalConditions",
        _("Additional conditions"),
        rows=4,
        help_text=_("Anything else users must respect, in your words."),
    )
    visibility = forms.ChoiceField(
        label=_("Who can see it"),
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Public: anyone the terms below allow may download it. Restricted: everyone must"
            " request access first; the terms below say who answers. Private: only members of"
            " your organization see it."
        ),
    )
    exclusivityOptOut = _flag(
        _("Opt out of exclusivity"),
        help_text=_("Tick this if the dataset is, or will be, published elsewhere as well."),
    )

    groups = [
        (_("Licence"), ["licenseAbbreviation", "customAbbreviation", "license", "licenseUrl"]),
        (_("How it may be used"), ["intendedUsage", "restrictions", "forbiddenUsage"]),
        (_("Access"), ["visibility", "exclusivityOptOut"]),
    ]

    def __init__(self, *args, submission: Submission, **kwargs):
        super().__init__(*args, submission=submission, document=submission.usage_policy, **kwargs)

    @classmethod
    def initial_for(cls, submission: Submission) -> dict[str, Any]:
        # The datasheet's MDC fields win: a paid draft may not have its price yet.
        initial = {**cls.initial_from(submission.usage_policy), **super().initial_for(submission)}
        sheet = submission.datasheet
        abbreviation = sheet.get("license_abbreviation", "")
        if abbreviation in PREDEFINED:
            initial["licenseAbbreviation"] = abbreviation
        elif abbreviation or sheet.get("license"):
            initial["licenseAbbreviation"] = CUSTOM_LICENCE
            initial["customAbbreviation"] = abbreviation
        cents = sheet.get("base_price_cents")
        initial["price"] = Decimal(cents).scaleb(-2) if cents is not None else None
        return initial

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        custom = cleaned.get("licenseAbbreviation") == CUSTOM_LICENCE
        if custom and "customAbbreviation" in cleaned and not cleaned["customAbbreviation"]:
            self.add_error(
                "customAbbreviation", _("Give your licence a short name, or choose one above.")
            )
        return cleaned

    def to_data(self) -> dict[str, Any]:
        data = super().to_data()
        for name in POLICY_ONLY_FIELDS:
            data.pop(name, None)
        choice = data.pop("licenseAbbreviation")
        custom = data.pop("customAbbreviation")
        if choice != CUSTOM_LICENCE:
            # A listed licence is named by its abbreviation alone.
            data.update(license="", licenseUrl="")
        data["licenseAbbreviation"] = custom if choice == CUSTOM_LICENCE else choice
        price = data.pop("price")
        data["basePriceCents"] = _cents(price) if price is not None else None
        data["usagePolicy"] = self.to_usage_policy()
        return data

    def field_for(self, api_name: str | None) -> str | None:
        if api_name in ("basePriceCents", "currency"):
            return "price"
        if api_name == "licenseAbbreviation" and self.data.get(api_name) == CUSTOM_LICENCE:
            return "customAbbreviation"
        return super().field_for(api_name)

    def add_domain_error(self, exc: DomainError) -> None:
        if (exc.field or "").startswith("usagePolicy"):
            UsagePolicyForm.add_domain_error(self, exc)
        else:
            StepForm.add_domain_error(self, exc)


# The terms' own fields: everything but the MDC price, which the datasheet shows too.
POLICY_ONLY_FIELDS = {*UsagePolicyForm.base_fields, *PRICE_RULE_FIELDS, *LABEL_FIELDS} - {
    "isPaid",
    "price",
}


class PeopleForm(StepForm):
    pointOfContactFullName = _text("pointOfContactFullName", _("Point of contact: name"))
    pointOfContactEmail = _text(
        "pointOfContactEmail", _("Point of contact: email"), widget=forms.EmailInput()
    )
    createdByFullName = _text("createdByFullName", _("Created by: name"))
    createdByEmail = _text("createdByEmail", _("Created by: email"), widget=forms.EmailInput())
    fundedByFullName = _text("fundedByFullName", _("Funded by: name"))
    fundedByEmail = _text("fundedByEmail", _("Funded by: email"), widget=forms.EmailInput())
    legalContactFullName = _text("legalContactFullName", _("Legal contact: name"))
    legalContactEmail = _text(
        "legalContactEmail", _("Legal contact: email"), widget=forms.EmailInput()
    )
    showContactInfo = _flag(_("Show these contacts on the dataset page"))
    showComplianceAttributes = _flag(_("Show the ethical review on the dataset page"))
    ethicalReviewProcess = _text(
        "ethicalReviewProcess",
        _("Ethical review"),
        rows=4,
        help_text=_("Who reviewed the collection of the data, and how."),
    )
    other = _text("other", _("Other information"), rows=4)

    groups = [
        (_("Point of contact"), ["pointOfContactFullName", "pointOfContactEmail"]),
        (_("Created by"), ["createdByFullName", "createdByEmail"]),
        (_("Funded by"), ["fundedByFullName", "fundedByEmail"]),
        (_("Legal contact"), ["legalContactFullName", "legalContactEmail"]),
        (
            _("On the dataset page"),
            ["showContactInfo", "showComplianceAttributes", "ethicalReviewProcess", "other"],
        ),
    ]


class RightsForm(StepForm):
    rightsHolder = _text(
        "rightsHolder",
        _("Who holds the rights to this data"),
        max_length=500,
        help_text=_(
            "A person, a community or an organization. Published with the dataset, with the"
            " basis of consent below, in its machine-readable descriptions."
        ),
    )
    consentBasis = forms.ChoiceField(
        label=_("On what basis the people in the data agreed to its publication"),
        required=False,
        choices=Submission.ConsentBasis.choices,
        widget=forms.RadioSelect,
    )
    rightsStatement = forms.CharField(
        label=_("Rights and consent, in your words"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "How the rights were obtained and how consent was given and recorded. Only the"
            " reviewers read it; it is not published."
        ),
    )


class SubmitForm(forms.Form):
    agreeToSubmit = forms.BooleanField(
        label=_(
            "I confirm I have the right to submit this dataset, that the people in it agreed"
            " as described, and that the datasheet is accurate."
        ),
        required=False,
    )


class NewSubmissionForm(forms.Form):
    name = _text("name", _("Name of the dataset"), required=True)
    organization = forms.ChoiceField(label=_("Organization"))

    def __init__(self, *args, organizations: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.organizations = {org.slug: org for org in organizations}
        if len(organizations) > 1:
            self.fields["organization"].choices = [
                ("", _("Choose an organization")),
                *[(org.slug, org.name) for org in organizations],
            ]
        else:
            del self.fields["organization"]

    def add_domain_error(self, exc: DomainError) -> None:
        add_domain_error(self, exc, "organization" if exc.field == "organizationSlug" else None)


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 4})
    )


@dataclass(frozen=True)
class Step:
    key: str
    title: Any
    form_class: type[StepForm]


STEPS = [
    Step("description", _("Description"), DescriptionForm),
    Step("terms", _("Licence and terms"), TermsForm),
    Step("people", _("People"), PeopleForm),
    Step("rights", _("Rights"), RightsForm),
]
# Steps without a datasheet form: the files (uploaded in parts by upload.js), then review.
FILES_STEP = "files"
REVIEW_STEP = "review"
STEP_KEYS = [step.key for step in STEPS] + [FILES_STEP, REVIEW_STEP]
# Where each API field is edited: the step and the form field.
_FIELD_STEP = {name: step for step in STEPS for name in step.form_class.base_fields}
_FIELD_STEP["basePriceCents"] = _FIELD_STEP["price"]


def missing_fields(submission: Submission) -> list[dict[str, Any]]:
    """What the submission lacks before it can be sent: the datasheet's required fields and,
    on the web, the rights attestation. Each with its label and the step that edits it."""
    names = missing_for_submission(submission.datasheet)
    names += [api for api, attr in ATTESTATION_FIELDS.items() if not getattr(submission, attr)]
    out = []
    for api_name in names:
        step = _FIELD_STEP[api_name]
        field = "price" if api_name == "basePriceCents" else api_name
        out.append(
            {
                "field": field,
                "label": step.form_class.base_fields[field].label,
                "step": step,
            }
        )
    return out


def _display(field: forms.Field, value: Any) -> Any:
    if isinstance(field, forms.BooleanField):
        return _("Yes") if value else _("No")
    if value in (None, ""):
        return ""
    if isinstance(field, forms.ChoiceField):
        return dict(field.choices).get(value, value)
    if isinstance(field, forms.DecimalField):
        return format_money(int(value * 100), "usd")
    return value


def _hidden_in_summary(initial: dict[str, Any]) -> set[str]:
    # The terms of use are read back in plain words instead (one row, below).
    hidden = set(POLICY_ONLY_FIELDS)
    if initial.get("licenseAbbreviation", CUSTOM_LICENCE) != CUSTOM_LICENCE:
        hidden |= {"customAbbreviation", "license", "licenseUrl"}
    if "isPaid" in initial and not initial["isPaid"]:
        hidden.add("price")
    return hidden


def datasheet_summary(submission: Submission) -> list[dict[str, Any]]:
    """Every step's fields as they are filled in, labelled as on the form, for reading back."""
    sections = []
    for step in STEPS:
        form = step.form_class(submission=submission)
        initial = step.form_class.initial_for(submission)
        rows = []
        for name, field in form.fields.items():
            if name == "revision" or name in _hidden_in_summary(initial):
                continue
            value = _display(field, initial.get(name))
            rows.append(
                {
                    "field": name,
                    "label": field.label,
                    "value": value,
                    "is_empty": value == "",
                    "is_long": isinstance(field.widget, forms.Textarea),
                    # Written by the community, in the dataset's language.
                    "is_content": isinstance(field, forms.CharField),
                }
            )
        if isinstance(form, UsagePolicyForm):
            value = "\n".join(_plain_terms_of(submission))
            rows.append(
                {
                    "field": "usagePolicy",
                    "label": _("Terms of use, in plain words"),
                    "value": value,
                    "is_empty": value == "",
                    "is_long": True,
                }
            )
        sections.append({"step": step, "rows": rows})
    return sections


def _plain_terms_of(submission: Submission) -> list[str]:
    try:
        policy, _sheet = policy_for(submission.usage_policy, submission.datasheet)
    except TermsError:
        return []  # a draft's terms may not hold together yet
    return terms_text(policy)
