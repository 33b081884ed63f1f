from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


class AuditFilterForm(forms.Form):
    """The filter above an audit table: the start of the dotted action code."""

    action = forms.CharField(
        label=_("Action starts with"),
        required=False,
        max_length=100,
        validators=[
            RegexValidator(
                r"^[a-z0-9_.]*$",
                _("Use lower-case letters, digits, dots and underscores, as in “moderation.”."),
            )
        ],
        help_text=_("For example “moderation.” or “catalog.dataset”."),
    )
