from django import forms
from django.utils.translation import gettext_lazy as _

from steward.catalog.models import Submission
from steward.organizations.models import Organization

from .models import CHECKLIST, Review


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
