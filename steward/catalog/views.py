from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from steward.lib.countries import country_name
from steward.lib.errors import DomainError, Forbidden, Gone, NotFound
from steward.lib.htmx import is_htmx
from steward.lib.money import format_money
from steward.lib.text import fold
from steward.licensing.models import PolicyVersion
from steward.licensing.services import terms_text
from steward.organizations.models import Organization
from steward.organizations.permissions import CAPABILITIES, MANAGE_TERMS, SUBMIT, can
from steward.storage.models import Upload

from . import queries, services
from .forms import (
    FILES_STEP,
    REVIEW_STEP,
    STEP_KEYS,
    STEPS,
    CommentForm,
    NewSubmissionForm,
    StepForm,
    SubmitForm,
    UsagePolicyForm,
    add_domain_error,
    datasheet_summary,
    missing_fields,
)
from .inspection import infer_schema, schema_yaml
from .languages import language_code
from .models import Dataset, DatasetFile, Inspection, Submission, Task, Visibility
from .permissions import get_submission_for
from .schemas import pricing_of
from .services import SUBMISSION_TRANSITIONS

HOME_NEWEST = 6
FILTER_LISTS = ("locale", "task", "license", "format", "organization")
ORGANIZATION_PAGE_SIZE = 20
SORT_OPTIONS = [
    ("relevance", gettext_lazy("Best match")),
    ("newest", gettext_lazy("Newest")),
    ("name", gettext_lazy("Name")),
    ("size", gettext_lazy("Size")),
]
DIRECTION_OPTIONS = [
    ("", gettext_lazy("Default order")),
    ("desc", gettext_lazy("Descending")),
    ("asc", gettext_lazy("Ascending")),
]
PRICING_OPTIONS = [
    ("", gettext_lazy("Free and paid")),
    ("free", gettext_lazy("Free only")),
    ("compensated", gettext_lazy("Paid only")),
]
DATASHEET_TEXTS = [
    ("annotation", gettext_lazy("Annotation and transcription")),
    ("biases", gettext_lazy("Known biases and gaps")),
    ("intended_usage", gettext_lazy("Intended use")),
    ("restrictions", gettext_lazy("Restrictions")),
    ("forbidden_usage", gettext_lazy("Forbidden use")),
    ("additional_conditions", gettext_lazy("Additional conditions")),
    ("ethical_review_process", gettext_lazy("Ethical review")),
    ("other", gettext_lazy("Other information")),
]
DATASHEET_CONTACTS = [
    ("point_of_contact", gettext_lazy("Point of contact")),
    ("created_by", gettext_lazy("Created by")),
    ("funded_by", gettext_lazy("Funded by")),
    ("legal_contact", gettext_lazy("Legal contact")),
]

USE_ANY = gettext_lazy("You may use, share and adapt it for any purpose, also commercially.")
USE_NON_COMMERCIAL = gettext_lazy("You may use, share and adapt it, but not for commercial use.")
USE_UNCHANGED = gettext_lazy("You may use and share it, also commercially, but only unchanged.")
NO_CONDITIONS = gettext_lazy("There are no conditions: you do not even have to credit anyone.")
CREDIT = gettext_lazy("You must credit the creators.")
SHARE_ALIKE = gettext_lazy("Share adaptations under the same licence.")
KEEP_NOTICE = gettext_lazy("Keep the copyright and licence notice with every copy.")
READ_LICENCE = gettext_lazy("Read the licence for its exact terms before using the data.")
CUSTOM_LICENCE = gettext_lazy(
    "This is a licence of the organization's own: read it before using the data."
)
NO_LICENCE = gettext_lazy("No licence is given: ask the organization before using the data.")
# Policy wording for the predefined licences (steward/licensing/licences.py); any other
# abbreviation is a custom licence.
PLAIN_TERMS = {
    "CC0-1.0": [USE_ANY, NO_CONDITIONS],
    "Unlicense": [USE_ANY, NO_CONDITIONS],
    "CC-BY-4.0": [USE_ANY, CREDIT],
    "CC-BY-SA-4.0": [USE_ANY, CREDIT, SHARE_ALIKE],
    "CC-BY-ND-4.0": [USE_UNCHANGED, CREDIT],
    "CC-BY-NC-4.0": [USE_NON_COMMERCIAL, CREDIT],
    "CC-BY-NC-SA-4.0": [USE_NON_COMMERCIAL, CREDIT, SHARE_ALIKE],
    "CC-SA-1.0": [USE_ANY, SHARE_ALIKE],
    "ODC-By-1.0": [USE_ANY, CREDIT],
    "ODbL-1.0": [USE_ANY, CREDIT, SHARE_ALIKE],
    "OGL-UK-3.0": [USE_ANY, CREDIT],
    "OGL-Canada-2.0": [USE_ANY, CREDIT],
    "NLOD-2.0": [USE_ANY, CREDIT],
    "OGDL-Taiwan-1.0": [USE_ANY, CREDIT],
    "MIT": [USE_ANY, KEEP_NOTICE],
    "BSD-3-Clause": [USE_ANY, KEEP_NOTICE],
    "Apache-2.0": [USE_ANY, KEEP_NOTICE],
    "GPL-3.0": [USE_ANY, SHARE_ALIKE],
    "AGPL-3.0": [USE_ANY, SHARE_ALIKE],
    "LGPLLR": [USE_ANY, SHARE_ALIKE],
    "GFDL-1.3": [USE_ANY, SHARE_ALIKE],
    "EUPL-1.2": [USE_ANY, SHARE_ALIKE],
    "MPL-2.0": [USE_ANY, SHARE_ALIKE],
    "OPUBL-1.0": [READ_LICENCE],
    "NOODL-1.0": [READ_LICENCE],
}


def _render_page_or_fragment(
    request: HttpRequest, template: str, fragment: str, context: dict, status: int = 200
) -> HttpResponse:
    name = f"{template}#{fragment}" if is_htmx(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _price_label(dataset: Dataset) -> str:
    if not dataset.is_paid or dataset.base_price_cents is None:
        return _("Free")
    return format_money(dataset.base_price_cents, dataset.currency or "usd")


def _cards(datasets: list[Dataset]) -> list[tuple[Dataset, str]]:
    return [(dataset, _price_label(dataset)) for dataset in datasets]


def _plain_terms(abbreviation: str) -> list:
    if not abbreviation:
        return [NO_LICENCE]
    return PLAIN_TERMS.get(abbreviation, [CUSTOM_LICENCE])


def _price(dataset: Dataset) -> dict | None:
    pricing = pricing_of(dataset)
    if not pricing["isPaid"]:
        return None
    currency = pricing["currency"]
    rate = Decimal(pricing["platformFeeRate"]) * 100
    return {
        "base": format_money(pricing["basePriceCents"], currency),
        "fee": format_money(pricing["platformFeeCents"], currency),
        "fee_percent": f"{rate.normalize():f}",
        "total": format_money(pricing["totalPriceCents"], currency),
    }


def _citation(dataset: Dataset, url: str) -> str:
    version = dataset.current_version
    published_at = (version.published_at if version else None) or dataset.published_at
    return _(
        "%(organization)s (%(year)s). %(name)s (version %(version)s) [Data set]. Steward. %(url)s"
    ) % {
        "organization": dataset.organization.name,
        "year": published_at.year if published_at else _("n.d."),
        "name": dataset.name,
        "version": version.number if version else 1,
        "url": url,
    }


def _locale_options(languages, locales: list[str]) -> list[tuple[str, str]]:
    """A bare language matches all its locales; regional locales are offered as well."""
    names = {language.code: language.name for language in languages}
    options = [(language.code, language.name) for language in languages]
    for locale in locales:
        if "-" in locale:
            name = names.get(language_code(locale), locale)
            options.append((locale, f"{name} ({locale})"))
    return sorted(options, key=lambda option: option[1].casefold())


def _organizations_with_datasets() -> list[Organization]:
    listed = Dataset.objects.listed().values("organization_id")
    return list(Organization.objects.filter(pk__in=listed).order_by("name"))


def home(request: HttpRequest) -> HttpResponse:
    newest = queries.search_datasets(queries.DatasetQuery(sort="newest", limit=HOME_NEWEST))
    context = {"counts": queries.catalogue_counts(), "cards": _cards(newest.items)}
    return render(request, "catalog/home.html", context)


def dataset_list(request: HttpRequest) -> HttpResponse:
    error = ""
    result = None
    try:
        result = queries.search_datasets(queries.parse_dataset_query(request.GET))
    except queries.QueryError as exc:
        error = exc.message
    context = {
        "result": result,
        "cards": _cards(result.items) if result else [],
        "error": error,
        "selected": {name: request.GET.getlist(name) for name in FILTER_LISTS},
        "sample_checked": request.GET.get("sample", "") not in ("", "false", "0"),
    }
    if not is_htmx(request):
        languages = list(queries.list_languages_with_datasets())
        values = queries.list_filter_values()
        task_labels = dict(Task.choices)
        context["filters"] = {
            "locales": _locale_options(languages, values["locales"]),
            "tasks": [(task, task_labels.get(task, task)) for task in values["tasks"]],
            "licenses": values["licenses"],
            "formats": values["formats"],
            "organizations": _organizations_with_datasets(),
        }
        context["sort_options"] = SORT_OPTIONS
        context["direction_options"] = DIRECTION_OPTIONS
        context["pricing_options"] = PRICING_OPTIONS
        # On an error the panel stays closed so the message shows without scrolling.
        context["filters_active"] = not error and any(
            request.GET.get(name) for name in (*FILTER_LISTS, "pricing", "sample")
        )
    status = 400 if error else 200
    return _render_page_or_fragment(
        request, "catalog/dataset_list.html", "results", context, status=status
    )


def language_list(request: HttpRequest) -> HttpResponse:
    search = " ".join(request.GET.get("name", "").split())[:100]
    languages = list(queries.list_languages_with_datasets())
    if search:
        needle = fold(search)
        languages = [
            language
            for language in languages
            if needle in fold(language.name)
            or needle in fold(language.autonym)
            or needle in (language.code, language.iso639_3)
        ]
    context = {"languages": languages, "search": search}
    return _render_page_or_fragment(request, "catalog/language_list.html", "languages", context)


def dataset_detail(request: HttpRequest, dataset_id: str) -> HttpResponse:
    try:
        dataset = queries.get_dataset_for(request.user, dataset_id)
    except NotFound:
        raise Http404("Dataset not found") from None
    except Gone as exc:
        return render(request, "410.html", {"reason": exc.message}, status=410)

    version = dataset.current_version
    sheet = version.datasheet if version else {}
    url = settings.STEWARD_BASE_URL + reverse("catalog:dataset-detail", args=[dataset.public_id])
    contacts = []
    if sheet.get("show_contact_info"):
        for key, label in DATASHEET_CONTACTS:
            name = sheet.get(f"{key}_full_name", "")
            email = sheet.get(f"{key}_email", "")
            if name or email:
                contacts.append({"label": label, "name": name, "email": email})
    context = {
        "dataset": dataset,
        "task_label": dataset.get_task_display() if dataset.task else "",
        "is_restricted": dataset.visibility == Visibility.RESTRICTED
        or not (dataset.usage_policy and dataset.usage_policy.current.terms.is_open),
        "is_private": dataset.visibility == Visibility.PRIVATE,
        "plain_terms": _plain_terms(dataset.license_abbreviation),
        "price": _price(dataset),
        "datasheet": [(label, sheet[key]) for key, label in DATASHEET_TEXTS if sheet.get(key)],
        "contacts": contacts,
        "versions": dataset.versions.filter(published_at__isnull=False).order_by("-number"),
        "files": version.files.select_related("blob") if version else [],
        "file_report": _file_report(dataset),
        "citation": _citation(dataset, url),
        "api_url": settings.STEWARD_BASE_URL + "/api",
        # For a "Change the terms" link (catalog:dataset-terms) to owners and admins.
        "may_change_terms": can(request.user, dataset.organization, MANAGE_TERMS),
    }
    return render(request, "catalog/dataset_detail.html", context)


def organization_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organization = get_object_or_404(Organization, slug=slug, status=Organization.Status.APPROVED)
    error = ""
    result = None
    try:
        query = queries.parse_dataset_query(request.GET)
        query.organizations = [organization.slug]
        if "limit" not in request.GET:
            query.limit = ORGANIZATION_PAGE_SIZE
        result = queries.search_datasets(query)
    except queries.QueryError as exc:
        error = exc.message
    context = {
        "organization": organization,
        "country_name": country_name(organization.country) if organization.country else "",
        "result": result,
        "cards": _cards(result.items) if result else [],
        "error": error,
    }
    return render(
        request, "catalog/organization_detail.html", context, status=400 if error else 200
    )


# --- Submissions: an organization's drafts, step by step, and what became of them ---


def _get_submission(request: HttpRequest, public_id: str, *, edit: bool = False) -> Submission:
    """The submission through its one door; `edit` admits members only (not staff)."""
    try:
        return get_submission_for(request.user, public_id, edit=edit)
    except (NotFound, Gone):
        raise Http404("Submission not found") from None
    except Forbidden as exc:
        raise PermissionDenied(exc.message) from None


def _submitting_organizations(user) -> list[Organization]:
    """The organizations in which `user` holds the SUBMIT capability."""
    roles = [role for role, capabilities in CAPABILITIES.items() if SUBMIT in capabilities]
    return list(
        Organization.objects.filter(memberships__user=user, memberships__role__in=roles)
        .distinct()
        .order_by("name")
    )


def _edit_url(submission: Submission, step: str = "") -> str:
    url = reverse("catalog:submission-edit", args=[submission.public_id])
    return f"{url}?step={step}" if step else url


UPLOAD_STATUS = {
    Upload.Status.UPLOADING: pgettext_lazy("upload status", "Uploading"),
    Upload.Status.VERIFYING: pgettext_lazy("upload status", "Checking the checksum"),
    Upload.Status.COMPLETED: pgettext_lazy("upload status", "Received and verified"),
    Upload.Status.FAILED: pgettext_lazy("upload status", "Failed"),
    Upload.Status.ABORTED: pgettext_lazy("upload status", "Cancelled"),
}


def _attached_files(submission: Submission) -> list[dict]:
    """The archive and the sample as the Files step shows them, each with its latest upload."""
    files = [
        (
            "archive",
            _("Dataset archive"),
            _("The whole dataset, as one .tar.gz or .tgz file."),
            submission.archive_upload,
        ),
        (
            "sample",
            _("Sample (optional)"),
            _(
                "A small .tar.gz or .tgz of a few examples that anyone may download to see"
                " what the data is like."
            ),
            submission.sample_upload,
        ),
    ]
    return [
        {
            "purpose": purpose,
            "title": title,
            "help": help_text,
            "upload": upload,
            "status": UPLOAD_STATUS.get(upload.status, "") if upload else "",
        }
        for purpose, title, help_text, upload in files
    ]


def _upload_messages() -> dict[str, str]:
    """What upload.js says, translated here; `%(name)s` placeholders are filled in there."""
    return {
        "preparing": _("Preparing the upload of %(name)s…"),
        "resuming": _("Resuming the upload of %(name)s: %(count)s of %(total)s parts are in."),
        "uploading": _("Uploading %(name)s: %(done)s of %(total)s (%(percent)s)."),
        "hashing": _("Computing the checksum of %(name)s: %(percent)s."),
        "finishing": _("Checking %(name)s on the server…"),
        "done": _("%(name)s is uploaded and attached to this submission."),
        "stopped": _("Stopped. Choose the same file again to carry on where it stopped."),
        "restarting": _(
            "The earlier upload of %(name)s had expired or was cancelled; starting again."
        ),
        "resume_offer": _(
            "The upload of %(name)s (%(size)s) was interrupted. Browsers cannot reopen a file"
            " by themselves: choose the same file again and only the missing parts are sent."
        ),
        "resume_button": _("Resume upload of %(name)s"),
        "discard_button": _("Discard it"),
        "discarded": _("The interrupted upload of %(name)s was discarded."),
        "bad_name": _("%(name)s is not a .tar.gz or .tgz file. Choose the archive itself."),
        "empty": _("%(name)s is empty."),
        "too_large": _("%(name)s is larger than 1 TiB, more than Steward takes."),
        "network": _(
            "The connection failed. Check your network, then choose the same file again to resume."
        ),
        "no_etag": _(
            "The storage did not say which part it received (no ETag header). The operator"
            " must let browsers read the ETag header of the bucket (CORS)."
        ),
        "refused": _("The upload was refused: %(error)s"),
        "signed_out": _("You are no longer signed in. Sign in again, then resume the upload."),
    }


def _render_submission(
    request: HttpRequest,
    submission: Submission,
    step_key: str,
    *,
    form: StepForm | None = None,
    submit_form: SubmitForm | None = None,
    comment_form: CommentForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    is_member = can(request.user, submission.organization, SUBMIT)
    may_edit = is_member and submission.is_editable
    if not may_edit:
        step_key, form = REVIEW_STEP, None
    missing = missing_fields(submission)
    steps = [
        {
            "key": step.key,
            "title": step.title,
            "missing": sum(1 for item in missing if item["step"].key == step.key),
        }
        for step in STEPS
    ]
    steps.append({"key": FILES_STEP, "title": _("Files"), "missing": 0})
    steps.append({"key": REVIEW_STEP, "title": _("Review and submit"), "missing": 0})
    index = STEP_KEYS.index(step_key)
    decision = None
    if submission.status in (Submission.Status.EDITS_REQUESTED, Submission.Status.REJECTED):
        decision = submission.reviews.select_related("reviewer").first()
    withdrawable = Submission.Status.RETRACTED in SUBMISSION_TRANSITIONS[submission.status]
    context = {
        "submission": submission,
        "is_member": is_member,
        "may_edit": may_edit,
        "steps": steps,
        "step": steps[index],
        "next_step": steps[index + 1] if index + 1 < len(steps) else None,
        "form": form,
        "summary": datasheet_summary(submission) if step_key == REVIEW_STEP else [],
        "missing": missing,
        "submit_form": submit_form or SubmitForm(),
        "decision": decision,
        "may_withdraw": is_member and withdrawable and submission.status != Submission.Status.DRAFT,
        "may_delete": is_member
        and submission.status
        in (Submission.Status.DRAFT, Submission.Status.RETRACTED, Submission.Status.REJECTED),
        "comments": submission.comments.select_related("author"),
        "comment_form": comment_form or CommentForm(),
        "comment_url": reverse("catalog:submission-comment", args=[submission.public_id])
        if is_member
        else "",
        "may_change_terms": submission.status == Submission.Status.APPROVED
        and submission.dataset is not None
        and can(request.user, submission.organization, MANAGE_TERMS),
        "error": error,
    }
    template = "catalog/submission_edit.html"
    if step_key == FILES_STEP:
        api_base = reverse("api:api-root").rstrip("/")
        files = _attached_files(submission)
        context.update(
            files=files,
            is_verifying=any(
                f["upload"] is not None and f["upload"].status == Upload.Status.VERIFYING
                for f in files
            ),
            api_base=api_base,
            api_url=settings.STEWARD_BASE_URL + api_base,
            upload_messages=_upload_messages(),
        )
        if is_htmx(request):
            # upload.js asks for the attached files again once an upload is complete.
            template = "catalog/submission_files.html#attached-files"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def submission_list(request: HttpRequest) -> HttpResponse:
    organizations = _submitting_organizations(request.user)
    submissions = Submission.objects.filter(
        organization__in=organizations, deleted_at__isnull=True
    ).select_related("organization", "dataset")
    context = {
        "submissions": submissions,
        "organizations": organizations,
        "may_start": any(org.is_approved for org in organizations),
    }
    return render(request, "catalog/submission_list.html", context)


@login_required
def submission_new(request: HttpRequest) -> HttpResponse:
    """Start a draft; with `?dataset=<id>`, a new version of a published dataset."""
    dataset = None
    if dataset_id := request.GET.get("dataset", ""):
        try:
            dataset = queries.get_dataset_for(request.user, dataset_id)
        except (NotFound, Gone):
            raise Http404("Dataset not found") from None
        if not can(request.user, dataset.organization, SUBMIT):
            raise PermissionDenied(_("Only members of its organization propose new versions."))
        organizations = [dataset.organization]
    else:
        organizations = [o for o in _submitting_organizations(request.user) if o.is_approved]
    initial = {"name": dataset.name} if dataset else {}
    form = NewSubmissionForm(request.POST or None, organizations=organizations, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            chosen = form.cleaned_data.get("organization")
            organization = form.organizations[chosen] if chosen else next(iter(organizations), None)
            try:
                submission = services.create_submission(
                    request.user,
                    data={"name": form.cleaned_data["name"]},
                    organization=organization,
                    dataset=dataset,
                )
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                messages.success(request, _("Draft started. Fill in each step, then submit it."))
                return redirect(_edit_url(submission, STEPS[0].key))
    context = {"form": form, "dataset": dataset, "organizations": organizations}
    return render(request, "catalog/submission_new.html", context, status=status)


@login_required
def submission_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    """One step of the datasheet; each save keeps the draft. Read-only once sent."""
    submission = _get_submission(request, public_id, edit=request.method == "POST")
    step_key = request.GET.get("step", "")
    if step_key and step_key not in STEP_KEYS:
        raise Http404("No such step")
    if not step_key:
        # A returning draft starts at the top; anything sent once opens on its summary.
        step_key = STEPS[0].key if submission.status == Submission.Status.DRAFT else REVIEW_STEP
    step = next((s for s in STEPS if s.key == step_key), None)
    if request.method != "POST":
        form = None
        if step is not None:
            form = step.form_class(
                initial=step.form_class.initial_for(submission), submission=submission
            )
        return _render_submission(request, submission, step_key, form=form)

    if step is None:
        raise Http404("This step has no fields to save")
    if not submission.is_editable:
        error = _("This submission is %(status)s and can no longer be edited.") % {
            "status": submission.get_status_display().lower()
        }
        return _render_submission(request, submission, step_key, error=error, status=403)
    form = step.form_class(request.POST, submission=submission)
    status = 400
    if form.is_valid():
        try:
            services.update_submission(
                submission,
                actor=request.user,
                data=form.to_data(),
                expected_revision=form.cleaned_data["revision"],
            )
        except DomainError as exc:
            form.add_domain_error(exc)
            status = exc.status
        else:
            messages.success(request, _("Draft saved."))
            if request.POST.get("then") == "next":
                step_key = STEP_KEYS[STEP_KEYS.index(step_key) + 1]
            return redirect(_edit_url(submission, step_key))
    return _render_submission(request, submission, step_key, form=form, status=status)


@login_required
@require_POST
def submission_submit(request: HttpRequest, public_id: str) -> HttpResponse:
    submission = _get_submission(request, public_id, edit=True)
    form = SubmitForm(request.POST)
    form.is_valid()  # a checkbox is always valid; the service decides
    if submission.is_editable and missing_fields(submission):
        form.add_error(None, _("Fill in the missing fields listed below first."))
        return _render_submission(request, submission, REVIEW_STEP, submit_form=form, status=400)
    try:
        services.submit_submission(
            submission, actor=request.user, agree_to_submit=form.cleaned_data["agreeToSubmit"]
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return _render_submission(
            request, submission, REVIEW_STEP, submit_form=form, status=exc.status
        )
    messages.success(
        request, _("Sent for review. The reviewers have been told; you will get an email.")
    )
    return redirect(_edit_url(submission))


def _confirm(request: HttpRequest, submission: Submission, action: str, do) -> HttpResponse:
    """A confirmation page for withdrawing or deleting; the POST carries it out."""
    error, status = "", 200
    if request.method == "POST":
        try:
            return do()
        except DomainError as exc:
            error, status = exc.message, exc.status
    context = {"submission": submission, "action": action, "error": error}
    return render(request, "catalog/submission_confirm.html", context, status=status)


@login_required
def submission_withdraw(request: HttpRequest, public_id: str) -> HttpResponse:
    submission = _get_submission(request, public_id, edit=True)

    def withdraw() -> HttpResponse:
        services.withdraw_submission(submission, actor=request.user)
        messages.success(request, _("Withdrawn. The reviewers will not look at it any more."))
        return redirect(_edit_url(submission))

    return _confirm(request, submission, "withdraw", withdraw)


@login_required
def submission_delete(request: HttpRequest, public_id: str) -> HttpResponse:
    submission = _get_submission(request, public_id, edit=True)

    def delete() -> HttpResponse:
        services.delete_submission(submission, actor=request.user)
        messages.success(request, _("Deleted."))
        return redirect("catalog:submission-list")

    return _confirm(request, submission, "delete", delete)


@login_required
@require_POST
def submission_comment(request: HttpRequest, public_id: str) -> HttpResponse:
    """A member writes to the reviewers; htmx gets the thread back, others the page."""
    submission = _get_submission(request, public_id, edit=True)
    form = CommentForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.add_comment(submission, author=request.user, body=form.cleaned_data["body"])
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            if not is_htmx(request):
                messages.success(request, _("Message sent to the reviewers."))
                return redirect(_edit_url(submission) + "#comments")
            form, status = CommentForm(), 200
    if is_htmx(request):
        context = {
            "comments": submission.comments.select_related("author"),
            "comment_form": form,
            "comment_url": request.path,
            "thread_title": _("Messages with the reviewers"),
        }
        return render(request, "catalog/submission_comments.html", context, status=status)
    return _render_submission(request, submission, REVIEW_STEP, comment_form=form, status=status)


# --- Terms of use of a published dataset: new versions for future requests ---


def _get_dataset_to_manage(request: HttpRequest, dataset_id: str) -> Dataset:
    """The dataset if the user may change its terms: 404 when they may not see it, 403 when
    they may see it but hold no MANAGE_TERMS in its organization."""
    try:
        dataset = queries.get_dataset_for(request.user, dataset_id)
    except (NotFound, Gone):
        raise Http404("Dataset not found") from None
    if not can(request.user, dataset.organization, MANAGE_TERMS):
        raise PermissionDenied(_("Only owners and admins of its organization change its terms."))
    return dataset


@login_required
def dataset_terms(request: HttpRequest, dataset_id: str) -> HttpResponse:
    """The terms in force, a form for the next version, and the versions so far."""
    dataset = _get_dataset_to_manage(request, dataset_id)
    policy = dataset.usage_policy
    current = policy.current if policy is not None else None
    document = current.document if current is not None else {}
    form = UsagePolicyForm(
        request.POST if request.method == "POST" else None,
        document=document,
        initial=UsagePolicyForm.initial_from(document),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                version = services.change_terms(
                    dataset, actor=request.user, usage_policy=form.to_usage_policy()
                )
            except DomainError as exc:
                form.add_domain_error(exc)
                status = exc.status
            else:
                if current is not None and version.pk == current.pk:
                    messages.info(request, _("Nothing changed: the terms stay as they were."))
                else:
                    messages.success(
                        request,
                        _(
                            "Saved as version %(number)s of the terms. Requests from now on get"
                            " them; people who have access keep the version they accepted."
                        )
                        % {"number": version.number},
                    )
                return redirect("catalog:dataset-terms", dataset.public_id)
    versions = (
        PolicyVersion.objects.filter(policy=policy).select_related("created_by").order_by("-number")
        if policy is not None
        else []
    )
    context = {
        "dataset": dataset,
        "form": form,
        "current": current,
        "sentences": terms_text(current.terms) if current is not None else [],
        "versions": versions,
    }
    return render(request, "catalog/dataset_terms.html", context, status=status)


# --- File inspection: the report on the dataset page, and schema.yaml for load_dataset ---


def _file_report(dataset: Dataset) -> dict | None:
    """What the dataset page shows of its files' inspection. Counts and shapes come from the
    archive; excerpts (first rows, lines, clip names) from the sample, which the organization
    chose to show, or from the archive of a free public dataset that anyone may download."""
    version = dataset.current_version
    if version is None:
        return None
    files = {f.role: f for f in version.files.all()}
    inspections = {
        i.blob_id: i
        for i in Inspection.objects.filter(
            blob_id__in=[f.blob_id for f in files.values()], finished_at__isnull=False
        ).exclude(status=Inspection.Status.REJECTED)
    }
    archive = files.get(DatasetFile.Role.ARCHIVE)
    sample = files.get(DatasetFile.Role.SAMPLE)
    of_archive = inspections.get(archive.blob_id) if archive else None
    of_sample = inspections.get(sample.blob_id) if sample else None
    shown = of_archive or of_sample
    if shown is None:
        return None
    excerpts = None
    note = _("No excerpts are shown: download the sample, or get access, to see the data.")
    if of_sample is not None:
        excerpts, note = of_sample.report, _("From the sample.")
    elif dataset.visibility == Visibility.PUBLIC and not dataset.is_paid:
        excerpts, note = of_archive.report, ""
    return {
        "inspection": shown,
        "of_sample": shown is of_sample,
        "excerpts": excerpts,
        "excerpts_note": note,
    }


def load_dataset_schema(dataset: Dataset) -> dict | None:
    """The schema `load_dataset` needs for the dataset's current archive: inferred from its
    inspection, the catch-all glob while none is finished, None without an archive or when
    the inspection rejected it."""
    version = dataset.current_version
    archive = (
        version.files.filter(role=DatasetFile.Role.ARCHIVE).select_related("blob").first()
        if version
        else None
    )
    if archive is None:
        return None
    inspection = services.inspection_for(archive.blob)
    if inspection is None or inspection.finished_at is None:
        return {"dataset_id": dataset.public_id, "root_strategy": "glob", "file_pattern": "*"}
    if inspection.status == Inspection.Status.REJECTED:
        return None
    return infer_schema(inspection.report, dataset_id=dataset.public_id, task=dataset.task)


def dataset_schema(request: HttpRequest, dataset_id: str) -> HttpResponse:
    """`<base>/schema-registry/main/registry/<id>/schema.yaml`: a mirror of the schema
    registry the datacollective SDK reads, for Steward's own datasets."""
    try:
        dataset = queries.get_dataset_for(request.user, dataset_id)
    except NotFound:
        raise Http404("Dataset not found") from None
    except Gone as exc:
        return HttpResponse(exc.message, status=410, content_type="text/plain; charset=utf-8")
    schema = load_dataset_schema(dataset)
    if schema is None:
        raise Http404("This dataset has no archive load_dataset can read")
    return HttpResponse(schema_yaml(schema), content_type="text/yaml; charset=utf-8")
