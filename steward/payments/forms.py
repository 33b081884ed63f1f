"""The earnings pages' forms: a payout request and the recipients' shares."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

# The recipients form has this many rows; an organization shares with at most as many.
MAX_RECIPIENT_ROWS = 8


class PayoutRequestForm(forms.Form):
    amount = forms.CharField(
        label=_("Amount"),
        max_length=20,
        help_text=_("In the currency's units, with at most two decimals: 120.50"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def clean_amount(self) -> int:
        """The amount in cents."""
        raw = self.cleaned_data["amount"].strip().replace(",", "")
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise forms.ValidationError(_("Enter an amount such as 120.50.")) from None
        cents = value * 100
        if not value.is_finite() or cents != int(cents):
            raise forms.ValidationError(_("Enter an amount with at most two decimals."))
        if cents <= 0:
            raise forms.ValidationError(_("Enter an amount above 0."))
        return int(cents)


class RecipientRowForm(forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    email = forms.CharField(label=_("Email (optional)"), max_length=254, required=False)
    username = forms.CharField(
        label=_("Steward user who may read the statement (optional)"),
        max_length=150,
        required=False,
    )
    share = forms.CharField(
        label=_("Share (%)"),
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    def is_blank(self) -> bool:
        data = self.cleaned_data
        return not any(
            str(data.get(f) or "").strip() for f in ("name", "email", "username", "share")
        )

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        if not username:
            return None
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No Steward user has this name."))
        return user


RecipientFormSet = forms.formset_factory(
    RecipientRowForm, extra=0, max_num=MAX_RECIPIENT_ROWS, absolute_max=MAX_RECIPIENT_ROWS
)


def recipient_rows(recipients) -> list[dict]:
    """The formset's initial rows: the active recipients, then empty rows up to the limit."""
    rows = [
        {
            "id": r.pk,
            "name": r.name,
            "email": r.email,
            "username": r.user.username if r.user_id else "",
            "share": f"{Decimal(r.share_basis_points) / 100:f}",
        }
        for r in recipients
    ]
    return rows + [{}] * (MAX_RECIPIENT_ROWS - len(rows))
