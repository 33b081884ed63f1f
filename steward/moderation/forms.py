from django import forms
from django.utils.translation import gettext_lazy as _

from steward.catalog.models import Submission
from steward.organizations.models import Organization

from .models import CHECKLIST, Report, Review


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Waiting for review")), *Submission.Status.choices],
    )
    organization = forms.ChoiceField(label=_("Organization"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        with_submissions = Organization.objects.filter(
            submissions__deleted_at__isnull=True
        ).distinct()
        self.fields["organization"].choices = [
            ("", _("All organizations")),
            *with_submissions.order_by("name").values_list("slug", "name"),
        ]


class ReviewForm(forms.Form):
    checklist = forms.MultipleChoiceField(
        label=_("Checklist"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every item must be ticked to approve."),
    )
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Review.Decision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason, sent to the organization"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Needed to request changes or to reject: say what must change, or why."),
    )

    def __init__(self, *args, checks: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checklist"].choices = [
            (key, label) for key, label in CHECKLIST if key in checks
        ]

    def ticked(self) -> dict[str, bool]:
        selected = set(self.cleaned_data["checklist"])
        return {key: key in selected for key, _label in self.fields["checklist"].choices}


# Takedown reports.


class ReportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What is wrong with it?"), choices=Report.Kind.choices, widget=forms.RadioSelect
    )
    details = forms.CharField(
        label=_("Details"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Say what in the dataset breaks whose rights, and how you are concerned. "
            "At least 10 characters."
        ),
    )
    email = forms.EmailField(
        label=_("Your email address"),
        help_text=_("Only the platform's staff see it, to answer you."),
    )

    def __init__(self, *args, signed_in: bool, **kwargs):
        super().__init__(*args, **kwargs)
        # Signed-in people are answered at their account's address.
        if signed_in:
            del self.fields["email"]


class ReportFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[*Report.Status.choices, ("all", _("All reports"))],
    )


class TakeDownForm(forms.Form):
    public_reason = forms.CharField(
        label=_("Public reason"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Shown on the dataset's page and in the API in place of the dataset, "
            "and sent to its organization."
        ),
    )


class DismissForm(forms.Form):
    resolution = forms.CharField(
        label=_("Why the report is dismissed"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kept with the report; the dataset stays listed."),
    )


class AnswerForm(forms.Form):
    response = forms.CharField(
        label=_("Your answer"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "The platform's staff read it before deciding; a new answer replaces the last one."
        ),
    )
