from django import forms
from django.utils.translation import gettext_lazy as _

from steward.lib.countries import country_choices
from steward.lib.errors import DomainError

from .models import Membership


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on the field it concerns, or above the form."""
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


class ApplyForm(forms.Form):
    name = forms.CharField(label=_("Name of the organization"), max_length=255)
    slug = forms.CharField(
        label=_("Short name for its web address"),
        max_length=100,
        required=False,
        help_text=_(
            "Lower-case letters, digits and hyphens. Leave it empty to use the suggestion."
        ),
    )
    description = forms.CharField(
        label=_("What the organization does"), widget=forms.Textarea(attrs={"rows": 4})
    )
    country = forms.ChoiceField(label=_("Country"), choices=country_choices)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    languages_served = forms.CharField(
        label=_("Languages it works with"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: Lingala, Swahili, French."),
    )
    communities_served = forms.CharField(
        label=_("Communities it serves"), widget=forms.Textarea(attrs={"rows": 3})
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=255)
    contact_email = forms.EmailField(label=_("Contact email"))
    motivation = forms.CharField(
        label=_("Why it wants to publish datasets here"),
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)

    def __init__(self, *args, roles: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles
        self.fields["role"].initial = Membership.Role.MEMBER


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason, sent to the applicant"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say why the application is rejected.")},
    )
