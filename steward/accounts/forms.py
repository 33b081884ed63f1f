from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.utils.translation import gettext_lazy as _

from steward.lib.countries import country_choices

from .models import ApiKey, User


def _organization_type_choices() -> list[tuple[str, str]]:
    return [("", _("Choose one")), *User.OrganizationType.choices]


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=255)
    country = forms.ChoiceField(label=_("Country"), choices=country_choices)
    organization_type = forms.ChoiceField(
        label=_("Organization type"),
        choices=_organization_type_choices,
        help_text=_("The kind of organization you work for, or “Individual”."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].widget.attrs["autocomplete"] = "name"
        self.fields["country"].widget.attrs["autocomplete"] = "country"


class SignupForm(ProfileForm, AllauthSignupForm):
    """allauth's sign-up form plus the profile fields; AccountAdapter.save_user stores them."""

    field_order = [
        "full_name",
        "email",
        "username",
        "password1",
        "password2",
        "country",
        "organization_type",
    ]


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=ApiKey._meta.get_field("name").max_length,
        help_text=_("What the key is for, such as “laptop” or “training server”."),
    )
