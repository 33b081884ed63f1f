"""The submission pages' forms: one per step of the datasheet, posting the MDC API's
camelCase field names so a service error's `field` names the form field too."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from steward.lib.errors import DomainError
from steward.licensing.licences import PREDEFINED

from .datasheet import BY_API_NAME, MAX_PRICE_CENTS, MIN_PRICE_CENTS, missing_for_submission
from .models import Submission, Task, Visibility
from .services import ATTESTATION_FIELDS

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


def add_domain_error(form: forms.Form, exc: DomainError, field: str | None = None) -> None:
    """Show a service's refusal next to `field` (by default the one it names), else above."""
    field = field or exc.field
    if field not in form.fields:
        form.add_error(None, exc.message)
        return
    # Service messages start with the API field name ("pointOfContactEmail: ..."), which
    # the form shows next to the field anyway.
    message = exc.message
    if exc.field and message.startswith(f"{exc.field}: "):
        message = message[len(exc.field) + 2 :]
    form.add_error(field, message)


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

    def __init__(self, *args, submission: Submission, **kwargs):
        super().__init__(*args, submission=submission, **kwargs)
        # A new version keeps its dataset's address.
        if submission.dataset_id is not None:
            del self.fields["slug"]

    @classmethod
    def initial_for(cls, submission: Submission) -> dict[str, Any]:
        return {**super().initial_for(submission), "slug": submission.slug}


class TermsForm(StepForm):
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
    additionalConditions = _text("additionalConditions", _("Additional conditions"), rows=4)
    visibility = forms.ChoiceField(
        label=_("Who can see it"),
        choices=Visibility.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Public: anyone may download it. Restricted: people must ask for access. Private:"
            " only members of your organization see it."
        ),
    )
    autoApproveAccessRequests = _flag(_("Approve access requests automatically"))
    isPaid = _flag(_("Paid dataset"), help_text=_("Users pay the price below to download it."))
    price = forms.DecimalField(
        label=_("Price in US dollars"),
        required=False,
        min_value=Decimal(0),
        max_digits=9,
        decimal_places=2,
        help_text=_("All of it goes to your organization; the buyer pays the platform fee on top."),
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )
    exclusivityOptOut = _flag(
        _("Opt out of exclusivity"),
        help_text=_("Tick this if the dataset is, or will be, published elsewhere as well."),
    )

    groups = [
        (_("Licence"), ["licenseAbbreviation", "customAbbreviation", "license", "licenseUrl"]),
        (
            _("How it may be used"),
            ["intendedUsage", "restrictions", "forbiddenUsage", "additionalConditions"],
        ),
        (_("Access"), ["visibility", "autoApproveAccessRequests", "exclusivityOptOut"]),
        (_("Price"), ["isPaid", "price"]),
    ]

    @classmethod
    def initial_for(cls, submission: Submission) -> dict[str, Any]:
        initial = super().initial_for(submission)
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

    def clean_price(self) -> Decimal | None:
        price = self.cleaned_data["price"]
        low, high = Decimal(MIN_PRICE_CENTS) / 100, Decimal(MAX_PRICE_CENTS) / 100
        if price is not None and not low <= price <= high:
            raise forms.ValidationError(
                _("Enter a price from %(low)s to %(high)s US dollars."),
                params={"low": f"{low:.2f}", "high": f"{high:,.2f}"},
                code="price_range",
            )
        return price

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
        choice = data.pop("licenseAbbreviation")
        custom = data.pop("customAbbreviation")
        if choice != CUSTOM_LICENCE:
            # A listed licence is named by its abbreviation alone.
            data.update(license="", licenseUrl="")
        data["licenseAbbreviation"] = custom if choice == CUSTOM_LICENCE else choice
        price = data.pop("price")
        data["basePriceCents"] = int(price * 100) if price is not None else None
        return data

    def field_for(self, api_name: str | None) -> str | None:
        if api_name in ("basePriceCents", "currency"):
            return "price"
        if api_name == "licenseAbbreviation" and self.data.get(api_name) == CUSTOM_LICENCE:
            return "customAbbreviation"
        return super().field_for(api_name)

    def add_domain_error(self, exc: DomainError) -> None:
        if exc.field == "basePriceCents" and not self.cleaned_data.get("isPaid"):
            self.add_error(
                "price", _("A free dataset has no price: tick “Paid dataset” or clear it.")
            )
            return
        super().add_domain_error(exc)


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
        help_text=_("A person, a community or an organization."),
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
        help_text=_("How the rights were obtained and how consent was given and recorded."),
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
        return f"USD {value:,.2f}"
    return value


def _hidden_in_summary(initial: dict[str, Any]) -> set[str]:
    hidden = set()
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
                }
            )
        sections.append({"step": step, "rows": rows})
    return sections
