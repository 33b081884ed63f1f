from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from steward.lib.countries import country_choices
from steward.lib.errors import DomainError
from steward.licensing.engine import OrganizationType, Policy, Purpose

from .models import AccessRequest

PURPOSE_LABELS = {
    Purpose.RESEARCH: pgettext_lazy("purpose", "Research"),
    Purpose.EDUCATION: pgettext_lazy("purpose", "Education"),
    Purpose.NON_COMMERCIAL: pgettext_lazy("purpose", "Other non-commercial use"),
    Purpose.COMMERCIAL: pgettext_lazy("purpose", "Commercial use (including commercial research)"),
}
ORGANIZATION_TYPE_LABELS = {
    OrganizationType.INDIVIDUAL: pgettext_lazy("organization type", "Individual"),
    OrganizationType.ACADEMIC: pgettext_lazy("organization type", "Academic institution"),
    OrganizationType.NONPROFIT: pgettext_lazy("organization type", "Nonprofit"),
    OrganizationType.COMMUNITY: pgettext_lazy("organization type", "Community organization"),
    OrganizationType.GOVERNMENT: pgettext_lazy("organization type", "Government body"),
    OrganizationType.COMPANY: pgettext_lazy("organization type", "Company"),
}
# The API's field names (what services name in DomainError.field) and this module's.
FORM_FIELDS = {
    "purpose": "purpose",
    "country": "country",
    "organizationName": "organization_name",
    "organizationType": "organization_type",
    "organizationWebsite": "organization_website",
    "intendedUse": "intended_use",
    "acceptTerms": "accept_terms",
    "usageReport": "usage_report",
    "reason": "reason",
    "deadlineDays": "deadline_days",
}
ANSWER_PREFIX = "answer_"


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the field it names (API names, e.g. "answers.q1"), or
    above the form when the form has no such field."""
    field = exc.field or ""
    if field.startswith("answers."):
        name = ANSWER_PREFIX + field.removeprefix("answers.")
    else:
        name = FORM_FIELDS.get(field, field)
    form.add_error(name if name in form.fields else None, exc.message)


def _with_blank(choices: dict, blank: str) -> list[tuple[str, str]]:
    return [("", blank), *((key.value, label) for key, label in choices.items())]


class RequestAccessForm(forms.Form):
    """What the API's access request takes, field for field, plus one field per question."""

    purpose = forms.ChoiceField(label=_("What will you use the data for?"))
    country = forms.ChoiceField(
        label=_("Country where you will use the data"), choices=country_choices
    )
    organization_name = forms.CharField(
        label=_("Organization"),
        max_length=300,
        required=False,
        help_text=_("The organization you work for; leave it empty if you ask for yourself."),
    )
    organization_type = forms.ChoiceField(label=_("Type of organization"))
    organization_website = forms.CharField(
        label=_("Organization website"),
        max_length=500,
        required=False,
        help_text=_(
            "If you have a confirmed email address on its domain, your organization is shown"
            " as verified."
        ),
    )
    intended_use = forms.CharField(
        label=_("What you intend to do with the data"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    accept_terms = forms.BooleanField(
        label=_("I accept the terms above and will use the data only as they allow."),
        error_messages={"required": _("You must accept the dataset's terms to ask for access.")},
    )

    def __init__(self, *args, terms: Policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = terms.questions
        self.fields["purpose"].choices = _with_blank(PURPOSE_LABELS, _("Choose one"))
        self.fields["organization_type"].choices = _with_blank(
            ORGANIZATION_TYPE_LABELS, _("Choose one")
        )
        self.fields["country"].widget.attrs["autocomplete"] = "country"
        self.fields["organization_website"].widget.attrs["inputmode"] = "url"
        # The questions come before the acceptance, which ends the form.
        accept = self.fields.pop("accept_terms")
        for question in self.questions:
            self.fields[ANSWER_PREFIX + question.id] = forms.CharField(
                label=question.text,
                required=question.required,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"required": _("Please answer this question.")},
            )
        self.fields["accept_terms"] = accept

    def answer_fields(self):
        return [self[ANSWER_PREFIX + question.id] for question in self.questions]

    def api_data(self) -> dict[str, Any]:
        """The cleaned form as the API's camelCase request body."""
        data = self.cleaned_data
        answers = {}
        for question in self.questions:
            answer = data.get(ANSWER_PREFIX + question.id, "")
            if answer:
                answers[question.id] = answer
        return {
            "purpose": data["purpose"],
            "country": data["country"],
            "organizationName": data["organization_name"],
            "organizationType": data["organization_type"],
            "organizationWebsite": data["organization_website"],
            "intendedUse": data["intended_use"],
            "answers": answers,
            "acceptTerms": data["accept_terms"],
        }

    @staticmethod
    def initial_from(previous: AccessRequest | None, user) -> dict[str, Any]:
        """Start from the user's last request (asking again after a denial), else from the
        profile they signed up with."""
        if previous is None:
            # The profile spells one type differently ("non-profit").
            kind = (getattr(user, "organization_type", "") or "").replace("-", "")
            return {
                "country": getattr(user, "country", "") or "",
                "organization_type": kind if kind in set(OrganizationType) else "",
            }
        initial = {
            "purpose": previous.purpose,
            "country": previous.country,
            "organization_name": previous.organization_name,
            "organization_type": previous.organization_type,
            "organization_website": previous.organization_website,
            "intended_use": previous.intended_use,
        }
        for key, answer in (previous.answers or {}).items():
            initial[ANSWER_PREFIX + key] = answer
        return initial


class ApproveForm(forms.Form):
    reason = forms.CharField(
        label=_("Note to the requester (optional)"),
        required=False,
        max_length=7500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class DenyForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, sent to the requester"),
        max_length=7500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the request is denied.")},
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, sent to the holder"),
        max_length=7500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the access is revoked.")},
    )
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone: the holder loses access at once."),
        error_messages={"required": _("Tick the box to confirm that you revoke this access.")},
    )


class RenewForm(forms.Form):
    usage_report = forms.CharField(
        label=_("What you built with the data"),
        required=False,
        max_length=7500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The community that published the data reads this."),
    )
    accept_terms = forms.BooleanField(
        label=_("I accept the dataset's current terms."),
        error_messages={"required": _("You must accept the dataset's terms to renew.")},
    )

    def __init__(self, *args, report_required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["usage_report"]
        field.required = report_required
        field.error_messages["required"] = _(
            "The terms ask what you built with the data: tell the community."
        )


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any status")), *AccessRequest.Status.choices],
    )
    dataset = forms.ChoiceField(label=_("Dataset"), required=False)

    def __init__(self, *args, datasets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [
            ("", _("Every dataset")),
            *((d.public_id, d.name) for d in datasets),
        ]


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the version is withdrawn"),
        max_length=7500,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Sent to everyone who downloaded it, with the request to delete it."),
        error_messages={"required": _("Say why the version is withdrawn.")},
    )
    deadline_days = forms.IntegerField(
        label=_("Days they have to confirm the deletion"),
        min_value=1,
        max_value=365,
        initial=30,
    )
    confirm = forms.BooleanField(
        label=_(
            "I understand that this cannot be undone: nobody will download this version again."
        ),
        error_messages={"required": _("Tick the box to confirm that you withdraw this version.")},
    )
