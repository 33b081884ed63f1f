import csv
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from steward.catalog.models import Dataset
from steward.catalog.queries import get_dataset_for
from steward.lib.errors import DomainError, Gone, NotFound
from steward.lib.geoip import client_ip
from steward.lib.htmx import is_htmx
from steward.licensing.services import terms_text
from steward.organizations.models import Membership, Organization
from steward.organizations.permissions import (
    CAPABILITIES,
    DECIDE_ACCESS,
    MANAGE_TERMS,
    can,
    get_organization_for,
    role_of,
)
from steward.storage.objectstore import get_store

from . import queries, services
from .forms import (
    ApproveForm,
    DenyForm,
    QueueFilterForm,
    RenewForm,
    RequestAccessForm,
    RevokeForm,
    WithdrawForm,
    add_domain_error,
)
from .models import AccessRequest, DeletionRequest, DownloadEvent, Grant, Vote
from .permissions import get_grant_for, get_request_for

# What the fallback iterator reads at a time (a server's sendfile does not read at all).
BLOCK_SIZE = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@require_POST
def dataset_download(request: HttpRequest, dataset_id: str, role: str) -> HttpResponse:
    """The page's Download buttons: start a download and send the browser to its link."""
    page = reverse("catalog:dataset-detail", args=[dataset_id])
    if not request.user.is_authenticated:
        return redirect_to_login(page)
    try:
        dataset = get_dataset_for(request.user, dataset_id)
        session = services.start_download(
            request.user,
            dataset,
            role=role,
            channel=DownloadEvent.Channel.WEB,
            client=request.headers.get("User-Agent", ""),
            base_url=request.build_absolute_uri("/"),
            ip=client_ip(request),
        )
    except NotFound:
        raise Http404("Dataset not found") from None
    except Gone as exc:
        return render(request, "410.html", {"reason": exc.message}, status=410)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(page)
    return redirect(session.url)


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    pass


def parse_range(header: str, size: int) -> ByteRange | None:
    """The single byte range a `Range` header asks for, clamped to the file; None to send the
    whole file (no header, a malformed one, or several ranges, which are allowed to be
    answered in full). Raises Unsatisfiable when the range starts at or after the end."""
    match = _RANGE.match(header.replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if first:
        start = int(first)
        if last and int(last) < start:
            return None
        if start >= size:
            raise Unsatisfiable
        return ByteRange(start, min(int(last) if last else size - 1, size - 1))
    if not last:
        return None
    suffix = int(last)
    if suffix == 0 or size == 0:
        raise Unsatisfiable
    return ByteRange(max(0, size - suffix), size - 1)


class _RangeFile:
    """An open file that reads `length` bytes from `start` and no further.

    It keeps fileno(), so a server's wsgi.file_wrapper can pass the file to sendfile:
    gunicorn sends exactly Content-Length bytes from the descriptor's current offset, which
    is `start` (see Response.sendfile in gunicorn/http/wsgi.py). Servers without sendfile,
    and the test client, call read(), which stops at the end of the range."""

    def __init__(self, file, start: int, length: int):
        file.seek(start)
        self._file = file
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        if size < 0 or size > self._left:
            size = self._left
        data = self._file.read(size)
        self._left -= len(data)
        return data

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()


def _error(message: str, code: str, status: int, **headers: str) -> JsonResponse:
    response = JsonResponse({"error": message, "code": code}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _if_range_matches(request: HttpRequest, etag: str) -> bool:
    # A client resuming with a validator from an older file must get the whole new one.
    validator = request.headers.get("If-Range")
    return validator is None or validator.strip() == etag


@require_http_methods(["GET", "HEAD"])
def download(request: HttpRequest, token: str) -> HttpResponse:
    """The signed download link: no session or key, the token is the permission. Answers
    Range requests with 206 and exactly the bytes asked for, and never compresses."""
    try:
        target = services.open_download(token, ip=client_ip(request))
    except DomainError as exc:
        return _error(exc.message, exc.code, exc.status)

    if target.redirect_url:
        if request.method == "GET":
            services.record_redirect(target)
        response: HttpResponse = HttpResponseRedirect(target.redirect_url)
        response["Cache-Control"] = "no-store"
        return response

    size = target.size_bytes
    etag = f'"{target.sha256}"'
    byte_range = None
    if "Range" in request.headers and _if_range_matches(request, etag):
        try:
            byte_range = parse_range(request.headers["Range"], size)
        except Unsatisfiable:
            return _error(
                _("The requested range starts after the end of the file."),
                "range_not_satisfiable",
                416,
                Content_Range=f"bytes */{size}",
            )
    start, length = (byte_range.start, byte_range.length) if byte_range else (0, size)
    headers = {
        "Content-Type": target.content_type,
        "Content-Disposition": content_disposition_header(True, target.filename),
        "Accept-Ranges": "bytes",
        "ETag": etag,
        # no-transform: proxies must not compress the archive either.
        "Cache-Control": "private, no-transform",
    }
    if byte_range:
        headers["Content-Range"] = f"bytes {byte_range.start}-{byte_range.end}/{size}"
    status = 206 if byte_range else 200

    if settings.STEWARD_DOWNLOAD_MODE == "x-accel":
        # nginx serves the file from its internal /_files/ location, ranges included.
        response = HttpResponse(status=200)
        for name, value in headers.items():
            if name != "Content-Range":
                response[name] = value
        response["X-Accel-Redirect"] = "/_files/" + quote(target.key)
        if request.method == "GET":
            services.record_bytes_served(target, length)
        return response

    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        response = HttpResponse(status=status)
        for name, value in headers.items():
            response[name] = value
        return response
    try:
        file = get_store().path(target.key).open("rb")
    except FileNotFoundError:
        return _error(_("The file is missing from storage."), "file_missing", 404)
    # FileResponse hands the file to the server's wsgi.file_wrapper (zero-copy sendfile on
    # gunicorn); without one it streams BLOCK_SIZE reads. Memory stays constant either way.
    response = FileResponse(_RangeFile(file, start, length), status=status)
    response.block_size = BLOCK_SIZE
    for name, value in headers.items():
        response[name] = value
    services.record_bytes_served(target, length)
    return response


def preview(request: HttpRequest, dataset_id: str, number: int) -> HttpResponse:
    """One short clip of the sample, for the dataset page's player."""
    try:
        dataset = get_dataset_for(request.user, dataset_id)
        data, content_type = services.preview_clip(request.user, dataset, number)
    except (NotFound, Gone):
        raise Http404("No such clip") from None
    except DomainError as exc:
        return _error(exc.message, exc.code, 403)
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Access requests: asking, deciding, renewing; withdrawn versions and their deletion ---

QUEUE_PAGE_SIZE = 25


@login_required
def request_access(request: HttpRequest, dataset_id: str) -> HttpResponse:
    """The terms in plain words and the request form; after asking, what became of it."""
    try:
        dataset = get_dataset_for(request.user, dataset_id)
    except NotFound:
        raise Http404("Dataset not found") from None
    except Gone as exc:
        return render(request, "410.html", {"reason": exc.message}, status=410)
    version = services.current_policy(dataset)
    if version is None:
        raise Http404("Dataset not found")
    user = request.user
    terms = version.terms
    context = {
        "dataset": dataset,
        "terms": terms,
        "sentences": terms_text(terms),
    }
    if role_of(user, dataset.organization) is not None:
        return render(request, "access/request_new.html", {**context, "is_member": True})

    latest = (
        AccessRequest.objects.filter(user=user, dataset=dataset)
        .select_related("grant")
        .order_by("-id")
        .first()
    )
    grant = services.latest_grant(user, dataset)
    pending = latest is not None and latest.status == AccessRequest.Status.PENDING
    active = grant is not None and grant.is_active()
    expired = grant is not None and grant.revoked_at is None and not active
    # Asking is for those the service would take a request from; an ended grant is renewed.
    may_ask = not (terms.is_open or pending or active or expired)
    status = 200
    form = None
    if may_ask and request.method == "POST":
        form = RequestAccessForm(request.POST, terms=terms)
        if form.is_valid():
            try:
                services.request_access(
                    dataset,
                    user=user,
                    data=form.api_data(),
                    ip=client_ip(request),
                    actor=user,
                )
            except NotFound:
                raise Http404("Dataset not found") from None
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return redirect("access:request-access", dataset.public_id)
        status = 400
    elif request.method == "POST":
        return redirect("access:request-access", dataset.public_id)
    elif may_ask:
        form = RequestAccessForm(terms=terms, initial=RequestAccessForm.initial_from(latest, user))
    context.update(
        {
            "latest": latest,
            "grant": grant,
            "grant_active": active,
            "grant_expired": expired,
            "pending": pending,
            "form": form,
        }
    )
    return render(request, "access/request_new.html", context, status=status)


def _renewal_form(grant: Grant, data=None) -> RenewForm:
    version = services.current_policy(grant.dataset)
    required = version is not None and version.terms.renewal_report_required
    return RenewForm(data, report_required=required, auto_id=f"renew-{grant.public_id}-%s")


def _renewable(grant: Grant, now) -> bool:
    return (
        grant.revoked_at is None
        and grant.expires_at is not None
        and grant.expires_at - now <= timedelta(days=services.RENEWAL_WINDOW_DAYS)
    )


def _render_my_access(
    request: HttpRequest, *, bound: tuple[str, RenewForm] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    grants = []
    for grant in (
        Grant.objects.filter(user=user)
        .select_related("dataset", "policy_version")
        .order_by("-created_at", "-id")[:200]
    ):
        form = None
        if _renewable(grant, now):
            form = bound[1] if bound and bound[0] == grant.public_id else _renewal_form(grant)
        grants.append({"grant": grant, "is_active": grant.is_active(now), "renew_form": form})
    context = {
        "access_requests": queries.requests_of(user).order_by("-created_at", "-id")[:200],
        "grants": grants,
        "deletions": DeletionRequest.objects.filter(user=user, confirmed_at__isnull=True)
        .select_related("version__dataset")
        .order_by("deadline"),
    }
    return render(request, "access/my_access.html", context, status=status)


@login_required
def my_access(request: HttpRequest) -> HttpResponse:
    """The user's requests, grants (renewed here) and the deletions they are asked for."""
    return _render_my_access(request)


@login_required
@require_POST
def grant_renew(request: HttpRequest, grant_id: str) -> HttpResponse:
    try:
        grant = get_grant_for(request.user, grant_id)
    except NotFound:
        raise Http404("Grant not found") from None
    if grant.user_id != request.user.pk:
        raise Http404("Grant not found")
    form = _renewal_form(grant, request.POST)
    if form.is_valid():
        try:
            grant = services.renew_grant(
                grant,
                actor=request.user,
                accept_terms=form.cleaned_data["accept_terms"],
                usage_report=form.cleaned_data["usage_report"],
                ip=client_ip(request),
            )
        except NotFound:
            raise Http404("Grant not found") from None
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            if grant.expires_at:
                message = _("Your access to %(name)s now lasts until %(date)s.") % {
                    "name": grant.dataset.name,
                    "date": date_format(grant.expires_at, "DATE_FORMAT"),
                }
            else:
                message = _("Your access to %(name)s was renewed.") % {"name": grant.dataset.name}
            messages.success(request, message)
            return redirect("access:my-access")
    return _render_my_access(request, bound=(grant.public_id, form), status=400)


def _get_deciding_organization(user, slug: str) -> Organization:
    """The organization if `user` answers its access requests (owners, admins and guardians):
    404 for those outside it, 403 for its other members."""
    organization = get_organization_for(user, slug)
    membership = Membership.objects.get(organization=organization, user=user)
    if not (membership.is_guardian or DECIDE_ACCESS in CAPABILITIES[membership.role]):
        raise PermissionDenied(_("Only owners, admins and guardians answer access requests."))
    return organization


def _queue_url(organization: Organization) -> str:
    return reverse("access:request-queue", args=[organization.slug])


def _back_to_queue(request: HttpRequest, organization: Organization) -> str:
    """Where the queue was, with its filters and page, when the form said so."""
    target = request.POST.get("next", "")
    queue = _queue_url(organization)
    if target.split("?")[0] == queue and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return queue


def _answers(terms, answers: dict[str, str]) -> list[tuple[str, str]]:
    """Each answer under the question it answers, in the order the terms ask them."""
    asked = {question.id: question.text for question in terms.questions}
    ordered = [key for key in asked if key in answers]
    ordered += [key for key in answers if key not in asked]
    return [(asked.get(key, key), answers[key]) for key in ordered]


def _render_queue(
    request: HttpRequest,
    organization: Organization,
    *,
    only: AccessRequest | None = None,
    bound: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The queue; with `only`, that one request and the form that was sent for it."""
    user = request.user
    datasets = Dataset.objects.filter(organization=organization).order_by("name")
    filters = QueueFilterForm(request.GET or None, datasets=datasets)
    requests = queries.requests_for_organization(organization).order_by("-created_at", "-id")
    chosen_status = ""
    if only is not None:
        requests = requests.filter(pk=only.pk)
    elif filters.is_valid():
        if filters.cleaned_data["dataset"]:
            requests = requests.filter(dataset__public_id=filters.cleaned_data["dataset"])
        chosen_status = filters.cleaned_data["status"]
    counts = queries.status_counts(requests)
    if chosen_status:
        requests = requests.filter(status=chosen_status)
    page = Paginator(requests.prefetch_related("votes__guardian"), QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    may_revoke = can(user, organization, DECIDE_ACCESS)
    rows = []
    for access_request in page:
        forms_for = {
            "approve": ApproveForm(auto_id=f"approve-{access_request.public_id}-%s"),
            "deny": DenyForm(auto_id=f"deny-{access_request.public_id}-%s"),
            "revoke": RevokeForm(auto_id=f"revoke-{access_request.public_id}-%s"),
        }
        if bound is not None and only is not None:
            forms_for[bound[0]] = bound[1]
        votes = list(access_request.votes.all())
        grant = getattr(access_request, "grant", None)
        terms = access_request.policy_version.terms
        rows.append(
            {
                "request": access_request,
                "answers": _answers(terms, access_request.answers or {}),
                "needed": terms.guardians_required,
                "approvals": sum(1 for v in votes if v.decision == Vote.Decision.APPROVE),
                "votes": votes,
                "has_voted": any(v.guardian_id == user.pk for v in votes),
                "may_decide": access_request.status == AccessRequest.Status.PENDING
                and services.may_decide(user, access_request),
                "grant": grant,
                "may_revoke": may_revoke and grant is not None and grant.revoked_at is None,
                **forms_for,
            }
        )
    context = {
        "organization": organization,
        "filters": filters,
        "counts": counts,
        "rows": rows,
        "page": page,
        "only": only,
        # A refusal that concerns no field of the form sent (decided meanwhile, not allowed).
        "error": " ".join(bound[1].non_field_errors()) if bound else "",
        "here": request.get_full_path() if only is None else _queue_url(organization),
    }
    template = "access/request_queue.html"
    if is_htmx(request) and only is None:
        template += "#requests"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def request_queue(request: HttpRequest, slug: str) -> HttpResponse:
    """The organization's access requests, by status and dataset, to approve or deny."""
    organization = _get_deciding_organization(request.user, slug)
    return _render_queue(request, organization)


def _queue_request(request: HttpRequest, organization: Organization, request_id: str):
    try:
        access_request = get_request_for(request.user, request_id)
    except NotFound:
        raise Http404("Access request not found") from None
    if access_request.dataset.organization_id != organization.pk:
        raise Http404("Access request not found")
    return access_request


def _refusal_status(exc: DomainError) -> int:
    # A refusal the form cannot fix (not allowed, decided meanwhile) keeps its own status.
    return exc.status if exc.status in (403, 409) else 400


@login_required
@require_POST
def request_approve(request: HttpRequest, slug: str, request_id: str) -> HttpResponse:
    organization = _get_deciding_organization(request.user, slug)
    access_request = _queue_request(request, organization, request_id)
    form = ApproveForm(request.POST, auto_id=f"approve-{access_request.public_id}-%s")
    status = 400
    if form.is_valid():
        try:
            access_request = services.approve_request(
                access_request, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = _refusal_status(exc)
        else:
            name = {"user": access_request.user.username, "name": access_request.dataset.name}
            if access_request.status == AccessRequest.Status.APPROVED:
                messages.success(request, _("%(user)s may now use %(name)s.") % name)
            else:
                messages.success(
                    request,
                    _("Your approval is recorded; %(name)s needs more guardians to approve.")
                    % name,
                )
            return redirect(_back_to_queue(request, organization))
    return _render_queue(
        request, organization, only=access_request, bound=("approve", form), status=status
    )


@login_required
@require_POST
def request_deny(request: HttpRequest, slug: str, request_id: str) -> HttpResponse:
    organization = _get_deciding_organization(request.user, slug)
    access_request = _queue_request(request, organization, request_id)
    form = DenyForm(request.POST, auto_id=f"deny-{access_request.public_id}-%s")
    status = 400
    if form.is_valid():
        try:
            access_request = services.deny_request(
                access_request, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = _refusal_status(exc)
        else:
            messages.success(
                request,
                _("The request of %(user)s was denied; they were told why.")
                % {"user": access_request.user.username},
            )
            return redirect(_back_to_queue(request, organization))
    return _render_queue(
        request, organization, only=access_request, bound=("deny", form), status=status
    )


@login_required
@require_POST
def grant_revoke(request: HttpRequest, slug: str, grant_id: str) -> HttpResponse:
    organization = _get_deciding_organization(request.user, slug)
    try:
        grant = get_grant_for(request.user, grant_id)
    except NotFound:
        raise Http404("Grant not found") from None
    if grant.dataset.organization_id != organization.pk:
        raise Http404("Grant not found")
    form = RevokeForm(request.POST, auto_id=f"revoke-{grant.request.public_id}-%s")
    status = 400
    if form.is_valid():
        try:
            grant = services.revoke_grant(
                grant, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = _refusal_status(exc)
        else:
            messages.success(
                request,
                _("The access of %(user)s was revoked; they were told why.")
                % {"user": grant.user.username},
            )
            return redirect(_back_to_queue(request, organization))
    return _render_queue(
        request, organization, only=grant.request, bound=("revoke", form), status=status
    )


@login_required
def confirm_deletion(request: HttpRequest, token: str) -> HttpResponse:
    """The holder of a withdrawn version confirms they deleted it; the link is theirs alone."""
    notice = (
        DeletionRequest.objects.select_related("version__dataset__organization")
        .filter(token=token, user=request.user)
        .first()
    )
    if notice is None:
        raise Http404("Not found")
    if request.method == "POST":
        try:
            services.confirm_deletion(notice, actor=request.user)
        except NotFound:
            raise Http404("Not found") from None
        messages.success(request, _("Thank you: the organization sees your confirmation."))
        return redirect("access:confirm-deletion", notice.token)
    context = {"notice": notice, "version": notice.version, "dataset": notice.version.dataset}
    return render(request, "access/deletion_confirm.html", context)


def _get_managed_dataset(user, slug: str, dataset_id: str) -> tuple[Organization, Dataset]:
    """The organization's dataset if `user` manages its terms: 404 outside, 403 for members
    without that capability."""
    organization = get_organization_for(user, slug, need=MANAGE_TERMS)
    dataset = Dataset.objects.filter(organization=organization, public_id=dataset_id).first()
    if dataset is None:
        raise Http404("Dataset not found")
    return organization, dataset


@login_required
def withdraw_version(request: HttpRequest, slug: str, dataset_id: str, number: int) -> HttpResponse:
    """Withdraw a published version; everyone outside who downloaded it is asked to delete it."""
    organization, dataset = _get_managed_dataset(request.user, slug, dataset_id)
    version = dataset.versions.filter(number=number, published_at__isnull=False).first()
    if version is None:
        raise Http404("Version not found")
    status = 200
    if request.method == "POST" and not version.is_withdrawn:
        form = WithdrawForm(request.POST)
        if form.is_valid():
            try:
                services.withdraw_version(
                    version,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    deadline_days=form.cleaned_data["deadline_days"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    _("Version %(number)s is withdrawn; those who downloaded it were emailed.")
                    % {"number": version.number},
                )
                return redirect("access:withdrawals", organization.slug, dataset.public_id)
        status = 400
    else:
        form = WithdrawForm()
    holders = (
        DownloadEvent.objects.filter(version=version)
        .exclude(user__memberships__organization=organization)
        .order_by()
        .values("user")
        .distinct()
        .count()
    )
    context = {
        "organization": organization,
        "dataset": dataset,
        "version": version,
        "form": form,
        "holders": holders,
    }
    return render(request, "access/version_withdraw.html", context, status=status)


@login_required
def withdrawals(request: HttpRequest, slug: str, dataset_id: str) -> HttpResponse:
    """Each withdrawn version of a dataset and, per holder, whether they confirmed deleting it."""
    organization, dataset = _get_managed_dataset(request.user, slug, dataset_id)
    now = timezone.now()
    versions = list(dataset.versions.filter(published_at__isnull=False).order_by("-number"))
    notices: dict[int, list] = {}
    for notice in (
        DeletionRequest.objects.filter(
            version__dataset=dataset, version__withdrawn_at__isnull=False
        )
        .select_related("user")
        .order_by("user__username")
    ):
        if notice.confirmed_at is not None:
            state = "confirmed"
        elif notice.deadline > now:
            state = "waiting"
        else:
            state = "unconfirmed"
        notices.setdefault(notice.version_id, []).append({"notice": notice, "state": state})
    rows = []
    for version in versions:
        holders = notices.get(version.pk, [])
        rows.append(
            {
                "version": version,
                "holders": holders,
                "confirmed": sum(1 for h in holders if h["state"] == "confirmed"),
            }
        )
    context = {"organization": organization, "dataset": dataset, "rows": rows}
    return render(request, "access/withdrawal_list.html", context)


# --- Usage: what the organization sees of its datasets' use (any member may look) ---

DEFAULT_USAGE_PERIOD = "12m"


def _usage_periods() -> list[tuple[str, str]]:
    return [
        ("30d", _("Last 30 days")),
        ("12m", _("Last 12 months")),
        ("all", _("All time")),
    ]


def _usage_window(period: str, now) -> tuple | None:
    """Where `?period=` starts (None: the beginning) and the bucket its charts count by;
    None for an unknown period. Days and months are whole, today and this month included."""
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "30d":
        return today - timedelta(days=29), "day"
    if period == "12m":
        year, month = divmod(today.year * 12 + today.month - 1 - 11, 12)
        return today.replace(year=year, month=month + 1, day=1), "month"
    if period == "all":
        return None, "month"
    return None


def _get_usage_dataset(user, slug: str, dataset_id: str) -> tuple[Organization, Dataset]:
    """The organization's dataset if `user` is a member of it, in any role; 404 otherwise."""
    organization = get_organization_for(user, slug)
    dataset = Dataset.objects.filter(organization=organization, public_id=dataset_id).first()
    if dataset is None:
        raise Http404("Dataset not found")
    return organization, dataset


def _bad_request(message: str) -> HttpResponse:
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def _unknown_period(period: str) -> HttpResponse:
    return _bad_request(
        _("Unknown period “%(period)s”: use one of %(periods)s.")
        % {"period": period, "periods": ", ".join(value for value, _label in _usage_periods())}
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def dataset_usage(request: HttpRequest, slug: str, dataset_id: str) -> HttpResponse:
    """Requests, grants and downloads of one dataset over a period, in figures and charts."""
    organization, dataset = _get_usage_dataset(request.user, slug, dataset_id)
    period = request.GET.get("period", DEFAULT_USAGE_PERIOD)
    window = _usage_window(period, timezone.now())
    if window is None:
        return _unknown_period(period)
    since, bucket = window
    context = {
        "organization": organization,
        "dataset": dataset,
        "period": period,
        "periods": _usage_periods(),
        "usage": queries.usage_for(dataset, since=since, bucket=bucket),
        "reports": queries.usage_reports(dataset),
    }
    return render(request, "access/usage_dataset.html", context)


class _Echo:
    """A file for csv.writer that hands each line back instead of keeping it."""

    def write(self, value: str) -> str:
        return value


def _csv_cell(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    # A spreadsheet runs a cell that starts like this as a formula.
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


@login_required
@require_http_methods(["GET", "HEAD"])
def dataset_usage_csv(request: HttpRequest, slug: str, dataset_id: str) -> HttpResponse:
    """`?kind=downloads` (one row per download) or `?kind=requests`, over `?period=` (all by
    default), streamed as CSV. Nobody is named: only what requesters declared."""
    organization, dataset = _get_usage_dataset(request.user, slug, dataset_id)
    kind = request.GET.get("kind", "")
    if kind not in queries.USAGE_COLUMNS:
        return _bad_request(
            _("Unknown kind “%(kind)s”: use kind=downloads or kind=requests.") % {"kind": kind}
        )
    period = request.GET.get("period", "all")
    window = _usage_window(period, timezone.now())
    if window is None:
        return _unknown_period(period)
    rows = queries.usage_rows(dataset, kind, since=window[0])
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(queries.USAGE_COLUMNS[kind])
        for row in rows:
            yield writer.writerow([_csv_cell(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{dataset.slug}-{kind}-{period}.csv"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD"])
def organization_usage(request: HttpRequest, slug: str) -> HttpResponse:
    """Each dataset of the organization with its all-time figures, linking to its usage."""
    organization = get_organization_for(request.user, slug)
    context = {
        "organization": organization,
        "datasets": queries.organization_usage(organization),
        "totals": queries.organization_download_totals(organization),
    }
    return render(request, "access/usage_organization.html", context)
