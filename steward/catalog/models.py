from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from steward.licensing.models import PolicyVersion, UsagePolicy
from steward.organizations.models import Organization
from steward.storage.models import Blob, Upload


class Task(models.TextChoices):
    """The fixed task vocabulary of the MDC API."""

    NA = "N/A", pgettext_lazy("task", "Not applicable")
    NLP = "NLP", pgettext_lazy("task", "Natural language processing")
    ASR = "ASR", pgettext_lazy("task", "Automatic speech recognition")
    LID = "LID", pgettext_lazy("task", "Language identification")
    TTS = "TTS", pgettext_lazy("task", "Text to speech")
    MT = "MT", pgettext_lazy("task", "Machine translation")
    LM = "LM", pgettext_lazy("task", "Language modelling")
    LLM = "LLM", pgettext_lazy("task", "Large language models")
    NLU = "NLU", pgettext_lazy("task", "Natural language understanding")
    NLG = "NLG", pgettext_lazy("task", "Natural language generation")
    CALL = "CALL", pgettext_lazy("task", "Computer-assisted language learning")
    RAG = "RAG", pgettext_lazy("task", "Retrieval-augmented generation")
    CV = "CV", pgettext_lazy("task", "Computer vision")
    ML = "ML", pgettext_lazy("task", "Machine learning")
    OTH = "OTH", pgettext_lazy("task", "Other")


class Visibility(models.TextChoices):
    PUBLIC = "public", pgettext_lazy("visibility", "Public")
    RESTRICTED = "restricted", pgettext_lazy("visibility", "Restricted")
    PRIVATE = "private", pgettext_lazy("visibility", "Private")


class Language(models.Model):
    """One ISO 639-3 language, known by its shortest code, English name and autonym."""

    code = models.CharField(max_length=3, unique=True)
    iso639_3 = models.CharField(max_length=3, unique=True)
    name = models.CharField(max_length=150)
    autonym = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DatasetQuerySet(models.QuerySet):
    def listed(self) -> "DatasetQuerySet":
        """What the public catalogue shows: published, not private."""
        return self.filter(status=Dataset.Status.PUBLISHED).exclude(visibility=Visibility.PRIVATE)

    def visible_to(self, user) -> "DatasetQuerySet":
        """Listed datasets plus the private ones of the user's organizations."""
        published = self.filter(status=Dataset.Status.PUBLISHED)
        if user is None or not user.is_authenticated:
            return published.exclude(visibility=Visibility.PRIVATE)
        return published.filter(
            ~Q(visibility=Visibility.PRIVATE) | Q(organization__memberships__user=user)
        ).distinct()


class Dataset(models.Model):
    """The lasting identity of a dataset. Its content lives in versions; the columns
    below mirror the current version so the catalogue can filter and sort quickly."""

    class Status(models.TextChoices):
        PUBLISHED = "published", pgettext_lazy("dataset status", "Published")
        REMOVED = "removed", pgettext_lazy("dataset status", "Removed")

    public_id = models.CharField(max_length=25, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="datasets"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PUBLISHED)
    removal_reason = models.TextField(blank=True)
    removed_at = models.DateTimeField(null=True, blank=True)
    current_version = models.ForeignKey(
        "DatasetVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The terms in force for new access requests and downloads.
    usage_policy = models.ForeignKey(
        UsagePolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="datasets"
    )

    name = models.CharField(_("name"), max_length=255)
    short_description = models.CharField(_("short description"), max_length=160, blank=True)
    long_description = models.TextField(_("long description"), blank=True)
    locale = models.CharField(_("locale"), max_length=35)
    language = models.ForeignKey(Language, on_delete=models.PROTECT, related_name="datasets")
    task = models.CharField(_("task"), max_length=10, choices=Task.choices, blank=True)
    format = models.CharField(_("format"), max_length=50, blank=True)
    license_abbreviation = models.CharField(_("licence"), max_length=25, blank=True)
    license_name = models.CharField(_("licence name"), max_length=1000, blank=True)
    license_url = models.URLField(_("licence URL"), max_length=1000, blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    is_paid = models.BooleanField(default=False)
    base_price_cents = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    # The downloadable archive of the current version, when it has one.
    filename = models.CharField(max_length=255, blank=True)
    size_bytes = models.BigIntegerField(null=True, blank=True)
    checksum = models.CharField(max_length=64, blank=True)
    has_sample = models.BooleanField(default=False)

    # Folded text of names, descriptions and language names; full-text indexed
    # (FTS5 on SQLite, a GIN expression index on PostgreSQL; see migrations).
    search_document = models.TextField(blank=True, editable=False)
    # Filter values as opaque words (see services.facet_tokens), indexed beside the
    # document so that SQLite answers a search with its filters from the index alone.
    search_facets = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DatasetQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [
            # Serves "newest first" over the listed datasets without sorting them all.
            models.Index(
                fields=["status", "-published_at", "-id", "visibility"],
                name="catalog_dataset_listed",
            ),
            models.Index(fields=["task"], name="catalog_dataset_task"),
            models.Index(fields=["locale"], name="catalog_dataset_locale"),
            models.Index(fields=["license_abbreviation"], name="catalog_dataset_license"),
            models.Index(fields=["format"], name="catalog_dataset_format"),
            models.Index(fields=["size_bytes"], name="catalog_dataset_size"),
            # The newest change tells whether a cached catalogue listing is still true.
            models.Index(fields=["updated_at"], name="catalog_dataset_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_paid=False, base_price_cents__isnull=True)
                | Q(is_paid=True, base_price_cents__gt=0),
                name="catalog_dataset_price_matches_paid",
            ),
            models.CheckConstraint(
                condition=~Q(slug="filters"), name="catalog_dataset_slug_not_reserved"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_listed(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.visibility != Visibility.PRIVATE


class DatasetVersion(models.Model):
    """One version of a dataset. Frozen once published: a change makes a new version."""

    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    # Every datasheet field (snake_case keys), as it was when the version was published.
    datasheet = models.JSONField(default=dict)
    # The terms in force when the version was published.
    policy_version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Withdrawn (e.g. contributors withdrew their consent): no new downloads; the record stays.
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["dataset", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["dataset", "number"], name="catalog_datasetversion_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dataset} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def is_withdrawn(self) -> bool:
        return self.withdrawn_at is not None


class DatasetFile(models.Model):
    """A file of a version's manifest: the archive users download, or its sample."""

    class Role(models.TextChoices):
        ARCHIVE = "archive", pgettext_lazy("file role", "Dataset archive")
        SAMPLE = "sample", pgettext_lazy("file role", "Sample")

    version = models.ForeignKey(DatasetVersion, on_delete=models.PROTECT, related_name="files")
    role = models.CharField(max_length=10, choices=Role.choices)
    filename = models.CharField(max_length=255)
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["version", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "role"], name="catalog_datasetfile_one_per_role"
            ),
        ]

    def __str__(self) -> str:
        return self.filename


class Submission(models.Model):
    """A proposed dataset version under review. The first approved submission creates the
    dataset; later ones, made for an existing dataset, add versions to it."""

    class Status(models.TextChoices):
        DRAFT = "draft", pgettext_lazy("submission status", "Draft")
        SUBMITTED = "submitted", pgettext_lazy("submission status", "Submitted")
        IN_REVIEW = "in_review", pgettext_lazy("submission status", "In review")
        EDITS_REQUESTED = "edits_requested", pgettext_lazy("submission status", "Changes requested")
        APPROVED = "approved", pgettext_lazy("submission status", "Approved and published")
        REJECTED = "rejected", pgettext_lazy("submission status", "Rejected")
        RETRACTED = "retracted", pgettext_lazy("submission status", "Withdrawn")

    class ConsentBasis(models.TextChoices):
        INFORMED_CONSENT = (
            "informed_consent",
            pgettext_lazy("consent basis", "Informed consent of every person in the data"),
        )
        COMMUNITY_CONSENT = (
            "community_consent",
            pgettext_lazy(
                "consent basis", "Collective consent of the community, by its own process"
            ),
        )
        PUBLIC_DOMAIN = (
            "public_domain",
            pgettext_lazy("consent basis", "Public domain or openly licensed sources"),
        )
        NO_PERSONS = (
            "no_persons",
            pgettext_lazy("consent basis", "No people are identifiable in the data"),
        )
        OTHER = "other", pgettext_lazy("consent basis", "Other (explained in the attestation)")

    public_id = models.CharField(max_length=25, unique=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="submissions"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Set for a new version of a published dataset, and on the first approval.
    dataset = models.ForeignKey(
        Dataset, null=True, blank=True, on_delete=models.PROTECT, related_name="submissions"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    slug = models.SlugField(max_length=120, blank=True)
    # Datasheet fields as far as they are filled in (snake_case keys, see datasheet.FIELDS).
    datasheet = models.JSONField(default=dict)
    # The usagePolicy object as last set (licensing/document.py), beside the MDC fields that
    # map onto it; terms.py merges the two into the policy published with the version.
    usage_policy = models.JSONField(default=dict)
    rights_holder = models.CharField(_("who holds the rights"), max_length=500, blank=True)
    consent_basis = models.CharField(
        _("consent basis"), max_length=30, choices=ConsentBasis.choices, blank=True
    )
    rights_statement = models.TextField(_("rights and consent, in your words"), blank=True)
    # The latest completed upload of each file; the Blob is set once its checksum is verified.
    archive_upload = models.ForeignKey(
        Upload, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sample_upload = models.ForeignKey(
        Upload, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    archive = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    archive_name = models.CharField(max_length=255, blank=True)
    sample = models.ForeignKey(
        Blob, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sample_name = models.CharField(max_length=255, blank=True)
    agreed_to_submit_at = models.DateTimeField(null=True, blank=True)
    exclusivity_opt_out_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    published_version = models.OneToOneField(
        DatasetVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="submission"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every edit; an edit based on an older revision is refused (two tabs).
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "submitted_at"], name="catalog_submission_queue")]

    def __str__(self) -> str:
        return self.datasheet.get("name") or self.public_id

    @property
    def name(self) -> str:
        return self.datasheet.get("name", "")

    @property
    def is_editable(self) -> bool:
        return self.deleted_at is None and self.status in (
            self.Status.DRAFT,
            self.Status.EDITS_REQUESTED,
        )


class Comment(models.Model):
    """A message on a submission, between the submitting organization and the reviewers."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    by_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.submission}"


class Inspection(models.Model):
    """What Steward found inside one stored file: whether the archive is safe to unpack,
    its inventory and statistics by kind, and any findings for the reviewers."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("inspection status", "Waiting")
        PASSED = "passed", pgettext_lazy("inspection status", "Passed")
        WARNINGS = "warnings", pgettext_lazy("inspection status", "Passed with findings")
        REJECTED = "rejected", pgettext_lazy("inspection status", "Rejected")

    blob = models.OneToOneField(Blob, on_delete=models.PROTECT, related_name="inspection")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    # Why a file was rejected, in words a person can act on.
    reason = models.TextField(blank=True)
    # {"files": [...], "totals": {...}, "audio": {...}, "text": {...}, "tables": [...],
    #  "findings": [...], "preview": {...}}
    report = models.JSONField(default=dict)
    declared_locale = models.CharField(max_length=35, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Inspection of {self.blob} ({self.status})"
