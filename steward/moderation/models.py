from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from steward.catalog.models import Dataset, Submission

CHECKLIST = [
    ("rights_cleared", _("Rights and copyright are cleared")),
    ("consent_documented", _("Consent of the people in the data is documented")),
    ("personal_data_assessed", _("Personal data has been assessed")),
    ("provenance_documented", _("Provenance is documented")),
    ("datasheet_complete", _("The datasheet is complete")),
    ("files_validated", _("The files are validated")),
]


class Review(models.Model):
    """One staff decision on a submission, with the checklist as the reviewer left it."""

    class Decision(models.TextChoices):
        APPROVE = "approve", pgettext_lazy("review decision", "Approve and publish")
        REQUEST_CHANGES = "request_changes", pgettext_lazy("review decision", "Request changes")
        REJECT = "reject", pgettext_lazy("review decision", "Reject")

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="reviews")
    # Empty when an operator decided from the command line.
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checklist = models.JSONField(default=dict)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} of {self.submission}"


class Report(models.Model):
    """A report that a published dataset breaks someone's rights, asking for a takedown."""

    class Kind(models.TextChoices):
        COPYRIGHT = "copyright", pgettext_lazy("report kind", "Copyright")
        CONSENT = "consent", pgettext_lazy("report kind", "Consent")
        PERSONAL_DATA = "personal_data", pgettext_lazy("report kind", "Personal data")
        OTHER = "other", pgettext_lazy("report kind", "Other")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("report status", "Open")
        DISMISSED = "dismissed", pgettext_lazy("report status", "Dismissed")
        TAKEN_DOWN = "taken_down", pgettext_lazy("report status", "Dataset taken down")

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    details = models.TextField()
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reporter_email = models.EmailField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    organization_response = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="moderation_report_queue")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} report on {self.dataset}"
