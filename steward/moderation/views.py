"""Staff pages (the submission queue and review, takedown reports, the audit log), the
public report form and the organization's answer to a report."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from steward.audit import queries as audit_queries
from steward.audit.forms import AuditFilterForm
from steward.audit.services import verify_chain
from steward.catalog import services as catalog_services
from steward.catalog.forms import CommentForm, add_domain_error, datasheet_summary, missing_fields
from steward.catalog.models import Dataset, Inspection, Submission
from steward.catalog.permissions import get_submission_for
from steward.catalog.queries import get_dataset_for
from steward.lib.charts import Bar, stacked_bar_chart
from steward.lib.errors import DomainError, Gone, NotFound
from steward.lib.htmx import is_htmx
from steward.organizations.permissions import ANSWER_REPORTS, can, check_reviewer

from . import services
from .forms import (
    AnswerForm,
    DismissForm,
    QueueFilterForm,
    ReportFilterForm,
    ReportForm,
    ReviewForm,
    TakeDownForm,
)
from .models import CHECKLIST, Report, Review

WAITING = (Submission.Status.SUBMITTED, Submission.Status.IN_REVIEW)


def _get_submission_for_review(request: HttpRequest, public_id: str) -> Submission:
    """Any live submission, for staff only; everyone else gets 404."""
    check_reviewer(request.user)
    try:
        return get_submission_for(request.user, public_id)
    except (NotFound, Gone):
        raise Http404("Submission not found") from None


@login_required
def submission_queue(request: HttpRequest) -> HttpResponse:
    """Submissions waiting for a reviewer (or in any status), oldest first."""
    check_reviewer(request.user)
    form = QueueFilterForm(request.GET)
    status, organization, code = None, "", 200
    if form.is_valid():
        status = form.cleaned_data["status"] or None
        organization = form.cleaned_data["organization"]
    else:
        code = 400
    submissions = services.review_queue(status)
    if organization:
        submissions = submissions.filter(organization__slug=organization)
    context = {"form": form, "submissions": submissions, "waiting": WAITING}
    template = "moderation/submission_queue.html"
    if is_htmx(request):
        template += "#queue"
    else:
        ages = services.review_queue_ages()
        context["ages"] = [(_age_band(age), age) for age in ages]
        context["age_chart"] = _queue_age_chart(context["ages"])
    response = render(request, template, context, status=code)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _age_band(age: services.QueueAge) -> str:
    if age.low == 0:
        return _("under a day")
    if age.high is None:
        return _("%(weeks)d weeks or more") % {"weeks": age.low // 7}
    if age.low >= 7:
        return _("%(low)d–%(high)d weeks") % {"low": age.low // 7, "high": age.high // 7}
    return _("%(low)d–%(high)d days") % {"low": age.low, "high": age.high}


def _queue_age_chart(ages: list[tuple[str, services.QueueAge]]):
    """How long the waiting submissions have waited, stacked by status."""
    total = sum(age.submitted + age.in_review for _, age in ages)
    if not total:
        return None
    bars = [Bar(band, band, "", (age.submitted, age.in_review)) for band, age in ages]
    oldest = next((band for band, age in reversed(ages) if age.submitted + age.in_review), "")
    return stacked_bar_chart(
        bars,
        legend=[
            (0, Submission.Status.SUBMITTED.label),
            (1, Submission.Status.IN_REVIEW.label),
        ],
        title=_("How long submissions have waited"),
        description=ngettext(
            "%(count)d submission waits for review; the longest has waited %(oldest)s.",
            "%(count)d submissions wait for review; the longest have waited %(oldest)s.",
            total,
        )
        % {"count": total, "oldest": oldest},
        chart_id="queue-age-chart",
        height=220,
    )


def _render_review(
    request: HttpRequest,
    submission: Submission,
    *,
    form: ReviewForm | None = None,
    comment_form: CommentForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    checks = services.applicable_checks(submission)
    labels = dict(CHECKLIST)
    reviews = [
        {
            "review": review,
            "checklist": [
                (labels.get(key, key), ticked) for key, ticked in review.checklist.items()
            ],
        }
        for review in submission.reviews.select_related("reviewer")
    ]
    context = {
        "submission": submission,
        "summary": datasheet_summary(submission),
        "missing": missing_fields(submission),
        "reviews": reviews,
        "may_start": submission.status == Submission.Status.SUBMITTED,
        "may_decide": submission.status in WAITING,
        "form": form or ReviewForm(checks=checks),
        "comments": submission.comments.select_related("author"),
        "comment_form": comment_form or CommentForm(),
        "comment_url": reverse("moderation:submission-comment", args=[submission.public_id]),
        "inspections": _file_inspections(submission),
        "error": error,
    }
    return render(request, "moderation/submission_review.html", context, status=status)


def _file_inspections(submission: Submission) -> list[dict]:
    """Each attached file with its inspection (None while none has been made)."""
    files = [
        (_("Dataset archive"), submission.archive_id, submission.archive_name),
        (_("Sample"), submission.sample_id, submission.sample_name),
    ]
    found = {
        i.blob_id: i for i in Inspection.objects.filter(blob_id__in=[f[1] for f in files if f[1]])
    }
    return [
        {"label": label, "filename": name, "inspection": found.get(blob_id)}
        for label, blob_id, name in files
        if blob_id is not None
    ]


@login_required
def submission_review(request: HttpRequest, public_id: str) -> HttpResponse:
    """The whole submission for a reviewer; the POST records the checklist and decision."""
    submission = _get_submission_for_review(request, public_id)
    if request.method != "POST":
        return _render_review(request, submission)
    form = ReviewForm(request.POST, checks=services.applicable_checks(submission))
    status = 400
    if form.is_valid():
        decision = form.cleaned_data["decision"]
        try:
            review = services.review_submission(
                submission,
                reviewer=request.user,
                decision=decision,
                checklist=form.ticked(),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            dataset = review.submission.dataset
            if decision == Review.Decision.APPROVE and dataset.is_listed:
                return redirect("catalog:dataset-detail", dataset.public_id)
            messages.success(request, _("Decision recorded; the organization has been emailed."))
            return redirect("moderation:submission-review", submission.public_id)
    return _render_review(request, submission, form=form, status=status)


@login_required
@require_POST
def submission_start(request: HttpRequest, public_id: str) -> HttpResponse:
    """Take a submitted submission into review, so others see someone has it."""
    submission = _get_submission_for_review(request, public_id)
    try:
        catalog_services.start_review(submission, actor=request.user)
    except DomainError as exc:
        return _render_review(request, submission, error=exc.message, status=exc.status)
    messages.success(request, _("You are reviewing it now."))
    return redirect("moderation:submission-review", submission.public_id)


@login_required
@require_POST
def submission_comment(request: HttpRequest, public_id: str) -> HttpResponse:
    """A reviewer writes to the organization; htmx gets the thread back, others the page."""
    submission = _get_submission_for_review(request, public_id)
    form = CommentForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            catalog_services.add_comment(
                submission, author=request.user, body=form.cleaned_data["body"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            if not is_htmx(request):
                messages.success(request, _("Message sent to the organization."))
                url = reverse("moderation:submission-review", args=[submission.public_id])
                return redirect(url + "#comments")
            form, status = CommentForm(), 200
    if is_htmx(request):
        context = {
            "comments": submission.comments.select_related("author"),
            "comment_form": form,
            "comment_url": request.path,
            "thread_title": _("Messages with the organization"),
        }
        return render(request, "catalog/submission_comments.html", context, status=status)
    return _render_review(request, submission, comment_form=form, status=status)


# --- Takedown reports ---


def report_new(request: HttpRequest, dataset_id: str) -> HttpResponse:
    """Anyone, signed in or not, reports a dataset they can see to the platform's staff."""
    try:
        dataset = get_dataset_for(request.user, dataset_id)
    except NotFound:
        raise Http404("Dataset not found") from None
    except Gone as exc:
        return render(request, "410.html", {"reason": exc.message}, status=410)
    signed_in = request.user.is_authenticated
    if request.method != "POST":
        form = ReportForm(signed_in=signed_in)
        return render(request, "moderation/report_form.html", {"dataset": dataset, "form": form})
    form = ReportForm(request.POST, signed_in=signed_in)
    status = 400
    if form.is_valid():
        try:
            services.report_dataset(
                dataset,
                reporter=request.user if signed_in else None,
                email=form.cleaned_data.get("email", ""),
                kind=form.cleaned_data["kind"],
                details=form.cleaned_data["details"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(request, _("Thank you; the platform's staff will look at it."))
            return redirect("catalog:dataset-detail", dataset.public_id)
    context = {"dataset": dataset, "form": form}
    return render(request, "moderation/report_form.html", context, status=status)


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    """Reports for staff, oldest first: the open ones, or those in the chosen status."""
    check_reviewer(request.user)
    form = ReportFilterForm(request.GET)
    status, code = "", 200
    if form.is_valid():
        status = form.cleaned_data["status"]
    else:
        code = 400
    reports = Report.objects.select_related("dataset__organization").order_by("created_at", "id")
    if status != "all":
        reports = reports.filter(status=status or Report.Status.OPEN)
    context = {"form": form, "reports": reports, "open": Report.Status.OPEN}
    template = "moderation/report_list.html"
    if is_htmx(request):
        template += "#reports"
    response = render(request, template, context, status=code)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _get_report_for_staff(request: HttpRequest, pk: int) -> Report:
    """Any report, for staff only; everyone else gets 404."""
    check_reviewer(request.user)
    reports = Report.objects.select_related("dataset__organization", "reporter", "resolved_by")
    return get_object_or_404(reports, pk=pk)


def _render_report(
    request: HttpRequest,
    report: Report,
    *,
    take_down_form: TakeDownForm | None = None,
    dismiss_form: DismissForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "report": report,
        "dataset": report.dataset,
        "may_decide": report.status == Report.Status.OPEN,
        "may_restore": report.dataset.status == Dataset.Status.REMOVED,
        "take_down_form": take_down_form or TakeDownForm(),
        "dismiss_form": dismiss_form or DismissForm(),
        "error": error,
    }
    return render(request, "moderation/report_detail.html", context, status=status)


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One report for staff: what was said, the dataset, the organization's answer."""
    return _render_report(request, _get_report_for_staff(request, pk))


@login_required
@require_POST
def report_take_down(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report_for_staff(request, pk)
    form = TakeDownForm(request.POST)
    if not form.is_valid():
        return _render_report(request, report, take_down_form=form, status=400)
    try:
        services.take_down(
            report, actor=request.user, public_reason=form.cleaned_data["public_reason"]
        )
    except DomainError as exc:
        if exc.field != "reason":
            return _render_report(request, report, error=exc.message, status=exc.status)
        add_domain_error(form, exc, "public_reason")
        return _render_report(request, report, take_down_form=form, status=exc.status)
    messages.success(request, _("The dataset is taken down; its organization has been emailed."))
    return redirect("moderation:report-detail", report.pk)


@login_required
@require_POST
def report_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    report = _get_report_for_staff(request, pk)
    form = DismissForm(request.POST)
    if not form.is_valid():
        return _render_report(request, report, dismiss_form=form, status=400)
    try:
        services.dismiss_report(
            report, actor=request.user, resolution=form.cleaned_data["resolution"]
        )
    except DomainError as exc:
        if exc.field not in form.fields:
            return _render_report(request, report, error=exc.message, status=exc.status)
        add_domain_error(form, exc)
        return _render_report(request, report, dismiss_form=form, status=exc.status)
    messages.success(request, _("The report is dismissed; the dataset stays listed."))
    return redirect("moderation:report-detail", report.pk)


@login_required
@require_POST
def report_restore(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the reported dataset back in the catalogue after a takedown."""
    report = _get_report_for_staff(request, pk)
    try:
        catalog_services.restore_dataset(report.dataset, actor=request.user)
    except DomainError as exc:
        return _render_report(request, report, error=exc.message, status=exc.status)
    messages.success(request, _("The dataset is back in the catalogue."))
    return redirect("moderation:report-detail", report.pk)


def _get_report_to_answer(request: HttpRequest, pk: int) -> Report:
    """A report on a dataset of an organization the user answers for; 404 for everyone else."""
    report = Report.objects.select_related("dataset__organization").filter(pk=pk).first()
    if report is None or not can(request.user, report.dataset.organization, ANSWER_REPORTS):
        raise Http404("Report not found")
    return report


@login_required
def report_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """The organization reads a report on its dataset (without who sent it) and answers."""
    report = _get_report_to_answer(request, pk)
    status = 200
    if request.method != "POST":
        form = AnswerForm(initial={"response": report.organization_response})
    else:
        form = AnswerForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                services.respond_to_report(
                    report, actor=request.user, response=form.cleaned_data["response"]
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = exc.status
            else:
                messages.success(request, _("Your answer has been sent to the platform's staff."))
                return redirect("moderation:report-answer", report.pk)
    context = {"report": report, "dataset": report.dataset, "form": form}
    return render(request, "moderation/report_answer.html", context, status=status)


# --- The audit log ---


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every audit entry, newest first; a POST also re-walks the hash chain (it writes
    nothing)."""
    check_reviewer(request.user)
    form = AuditFilterForm(request.GET)
    prefix, code = "", 200
    if form.is_valid():
        prefix = form.cleaned_data["action"]
    else:
        code = 400
    events = audit_queries.list_events(action_prefix=prefix)
    chain = verify_chain() if request.method == "POST" else None
    context = {
        "form": form,
        "events": Paginator(events, audit_queries.PAGE_SIZE).get_page(request.GET.get("page")),
        "chain": chain,
    }
    template = "moderation/audit_list.html"
    if is_htmx(request):
        template += "#chain" if chain else "#events"
    response = render(request, template, context, status=code)
    patch_vary_headers(response, ["HX-Request"])
    return response
