"""Staff pages: the submission queue and the review of one submission."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from steward.catalog import services as catalog_services
from steward.catalog.forms import CommentForm, add_domain_error, datasheet_summary, missing_fields
from steward.catalog.models import Submission
from steward.catalog.permissions import get_submission_for
from steward.lib.errors import DomainError, Gone, NotFound
from steward.lib.htmx import is_htmx
from steward.organizations.permissions import check_reviewer

from . import services
from .forms import QueueFilterForm, ReviewForm
from .models import CHECKLIST, Review

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
    response = render(request, template, context, status=code)
    patch_vary_headers(response, ["HX-Request"])
    return response


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
        "error": error,
    }
    return render(request, "moderation/submission_review.html", context, status=status)


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
