from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from steward.audit import queries as audit_queries
from steward.audit.forms import AuditFilterForm
from steward.lib.errors import DomainError
from steward.lib.htmx import is_htmx

from . import permissions, queries, services
from .forms import ApplyForm, InviteForm, RejectForm, RoleForm, add_domain_error
from .models import Membership, Organization

# --- Applying ---


def _suggest_slug_as_you_type(form: ApplyForm, name: str) -> None:
    """The name field asks for the slug field again as it changes; an empty slug shows the
    suggestion as its placeholder, and the suggestion is used when it stays empty."""
    form.fields["name"].widget.attrs.update(
        {
            "hx-get": reverse("organizations:apply"),
            "hx-trigger": "input changed delay:400ms",
            "hx-target": "#slug-field",
            "hx-swap": "outerHTML",
            "hx-include": "[name=slug]",
        }
    )
    suggestion = services.suggest_slug(name)
    if suggestion:
        form.fields["slug"].widget.attrs["placeholder"] = suggestion


@login_required
def apply(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ApplyForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            data["slug"] = data["slug"] or services.suggest_slug(data["name"])
            if not data["slug"]:
                form.add_error("slug", _("Choose a short name with Latin letters or digits."))
            else:
                try:
                    services.apply_for_organization(request.user, **data)
                except DomainError as exc:
                    add_domain_error(form, exc)
                else:
                    messages.success(
                        request,
                        _("Thank you. %(name)s is waiting for review; you will get an email.")
                        % {"name": data["name"]},
                    )
                    return redirect("organizations:mine")
        _suggest_slug_as_you_type(form, request.POST.get("name", ""))
        return render(request, "organizations/organization_apply.html", {"form": form}, status=400)

    user = request.user
    form = ApplyForm(
        initial={
            "name": request.GET.get("name", ""),
            "slug": request.GET.get("slug", ""),
            "contact_name": getattr(user, "full_name", "") or user.get_full_name(),
            "contact_email": user.email,
        }
    )
    _suggest_slug_as_you_type(form, request.GET.get("name", ""))
    template = "organizations/organization_apply.html"
    if is_htmx(request):
        template += "#slug-field"
    response = render(request, template, {"form": form})
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    context = {
        "memberships": queries.list_memberships_of(request.user),
        "invitations": queries.list_invitations_to(request.user),
        "statuses": Organization.Status,
    }
    return render(request, "organizations/membership_list.html", context)


# --- Members ---


def _render_members(
    request: HttpRequest,
    organization: Organization,
    *,
    invite_form: InviteForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    capabilities = permissions.capabilities_of(request.user, organization)
    role_labels = dict(Membership.Role.choices)
    rows = []
    for membership in queries.list_members(organization):
        is_me = membership.user_id == request.user.pk
        roles = [] if is_me else permissions.assignable_roles(capabilities, membership)
        rows.append(
            {
                "membership": membership,
                "is_me": is_me,
                "roles": [(role, role_labels[role]) for role in roles],
                "may_remove": not is_me and permissions.may_remove(capabilities, membership),
            }
        )
    invitable = [(r, role_labels[r]) for r in permissions.assignable_roles(capabilities)]
    manages = permissions.MANAGE_MEMBERS in capabilities
    context = {
        "organization": organization,
        "rows": rows,
        "manages_members": manages,
        "manages_owners": permissions.MANAGE_OWNERS in capabilities,
        "views_audit": permissions.VIEW_AUDIT in capabilities,
        "invite_form": invite_form or (InviteForm(roles=invitable) if manages else None),
        "invitations": queries.list_open_invitations(organization) if manages else [],
        "error": error,
    }
    return render(request, "organizations/member_list.html", context, status=status)


@login_required
def members(request: HttpRequest, slug: str) -> HttpResponse:
    if request.method != "POST":
        organization = permissions.get_organization_for(request.user, slug)
        return _render_members(request, organization)

    organization = permissions.get_organization_for(
        request.user, slug, need=permissions.MANAGE_MEMBERS
    )
    capabilities = permissions.capabilities_of(request.user, organization)
    role_labels = dict(Membership.Role.choices)
    roles = [(r, role_labels[r]) for r in permissions.assignable_roles(capabilities)]
    form = InviteForm(request.POST, roles=roles)
    status = 400
    if form.is_valid():
        try:
            invitation = services.invite_member(
                organization,
                actor=request.user,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
            status = exc.status
        else:
            messages.success(
                request,
                _("An invitation is on its way to %(email)s.") % {"email": invitation.email},
            )
            return redirect("organizations:members", slug=organization.slug)
    return _render_members(request, organization, invite_form=form, status=status)


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str, username: str) -> HttpResponse:
    organization = permissions.get_organization_for(
        request.user, slug, need=permissions.MANAGE_MEMBERS
    )
    membership = permissions.get_membership_for(request.user, organization, username)
    form = RoleForm(request.POST)
    if not form.is_valid():
        return _render_members(request, organization, error=_("Choose a valid role."), status=400)
    try:
        services.change_member_role(membership, actor=request.user, role=form.cleaned_data["role"])
    except DomainError as exc:
        return _render_members(request, organization, error=exc.message, status=exc.status)
    messages.success(
        request,
        _("%(user)s is now %(role)s.")
        % {"user": username, "role": Membership.Role(form.cleaned_data["role"]).label.lower()},
    )
    return redirect("organizations:members", slug=organization.slug)


@login_required
@require_POST
def member_guardian(request: HttpRequest, slug: str, username: str) -> HttpResponse:
    """Owners make a member a guardian, or stop them being one (`guardian` = "1" or "0")."""
    organization = permissions.get_organization_for(
        request.user, slug, need=permissions.MANAGE_OWNERS
    )
    membership = permissions.get_membership_for(request.user, organization, username)
    choice = request.POST.get("guardian")
    if choice not in ("0", "1"):
        return _render_members(
            request, organization, error=_("Say whether they are a guardian."), status=400
        )
    try:
        services.set_guardian(membership, actor=request.user, is_guardian=choice == "1")
    except DomainError as exc:
        return _render_members(request, organization, error=exc.message, status=exc.status)
    messages.success(
        request,
        (
            _("%(user)s is now a guardian.")
            if choice == "1"
            else _("%(user)s is no longer a guardian.")
        )
        % {"user": username},
    )
    return redirect("organizations:members", slug=organization.slug)


@login_required
@require_POST
def member_remove(request: HttpRequest, slug: str, username: str) -> HttpResponse:
    organization = permissions.get_organization_for(
        request.user, slug, need=permissions.MANAGE_MEMBERS
    )
    membership = permissions.get_membership_for(request.user, organization, username)
    try:
        services.remove_member(membership, actor=request.user)
    except DomainError as exc:
        return _render_members(request, organization, error=exc.message, status=exc.status)
    messages.success(request, _("%(user)s is no longer a member.") % {"user": username})
    return redirect("organizations:members", slug=organization.slug)


@login_required
@require_POST
def leave(request: HttpRequest, slug: str) -> HttpResponse:
    organization = permissions.get_organization_for(request.user, slug)
    try:
        services.leave_organization(organization, user=request.user)
    except DomainError as exc:
        return _render_members(request, organization, error=exc.message, status=exc.status)
    messages.success(request, _("You left %(name)s.") % {"name": organization.name})
    return redirect("organizations:mine")


@login_required
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = permissions.get_invitation_for(request.user, token)
    template = "organizations/invitation_detail.html"
    if request.method == "POST":
        try:
            services.accept_invitation(invitation, user=request.user)
        except DomainError as exc:
            context = {
                "invitation": invitation,
                "error": exc.message,
                "addressed": exc.status != 403,
            }
            return render(request, template, context, status=exc.status)
        messages.success(
            request, _("Welcome to %(name)s.") % {"name": invitation.organization.name}
        )
        return redirect("organizations:members", slug=invitation.organization.slug)

    if not invitation.is_addressed_to(request.user):
        # Say nothing about the organization to whoever else holds the link.
        error = _(
            "This invitation was sent to another email address. Sign in with the account "
            "that uses it to accept."
        )
        context = {"invitation": invitation, "error": error, "addressed": False}
        return render(request, template, context, status=403)
    status = 200
    if invitation.accepted_at is None and not invitation.is_open:
        status = 410
    return render(request, template, {"invitation": invitation, "addressed": True}, status=status)


# --- Audit log ---


@login_required
def audit(request: HttpRequest, slug: str) -> HttpResponse:
    """The organization's audit entries, newest first, for its owners."""
    organization = permissions.get_organization_for(request.user, slug, need=permissions.VIEW_AUDIT)
    form = AuditFilterForm(request.GET)
    prefix, code = "", 200
    if form.is_valid():
        prefix = form.cleaned_data["action"]
    else:
        code = 400
    events = audit_queries.list_events(organization_id=organization.pk, action_prefix=prefix)
    context = {
        "organization": organization,
        "form": form,
        "events": Paginator(events, audit_queries.PAGE_SIZE).get_page(request.GET.get("page")),
        # Whoever is not a member now (a reporter, staff) is shown without name or address.
        "member_ids": set(
            Membership.objects.filter(organization=organization).values_list("user_id", flat=True)
        ),
    }
    template = "organizations/audit_list.html"
    if is_htmx(request):
        template += "#events"
    response = render(request, template, context, status=code)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- Staff review ---


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    permissions.check_reviewer(request.user)
    context = {"applications": queries.list_pending_applications()}
    return render(request, "organizations/review_list.html", context)


def _render_review(
    request: HttpRequest,
    organization: Organization,
    *,
    reject_form: RejectForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "organization": organization,
        "owners": queries.list_members(organization).filter(role=Membership.Role.OWNER),
        "may_approve": organization.can_become(Organization.Status.APPROVED),
        "may_reject": organization.can_become(Organization.Status.REJECTED),
        "reject_form": reject_form or RejectForm(),
        "error": error,
    }
    return render(request, "organizations/review_detail.html", context, status=status)


@login_required
def review_detail(request: HttpRequest, slug: str) -> HttpResponse:
    organization = permissions.get_application_for(request.user, slug)
    return _render_review(request, organization)


@login_required
@require_POST
def review_approve(request: HttpRequest, slug: str) -> HttpResponse:
    organization = permissions.get_application_for(request.user, slug)
    try:
        services.approve_organization(organization, actor=request.user)
    except DomainError as exc:
        return _render_review(request, organization, error=exc.message, status=exc.status)
    messages.success(request, _("%(name)s is approved.") % {"name": organization.name})
    return redirect("organizations:review-list")


@login_required
@require_POST
def review_reject(request: HttpRequest, slug: str) -> HttpResponse:
    organization = permissions.get_application_for(request.user, slug)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.reject_organization(
                organization, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            if exc.field in form.fields:
                add_domain_error(form, exc)
                return _render_review(request, organization, reject_form=form, status=exc.status)
            return _render_review(request, organization, error=exc.message, status=exc.status)
        messages.success(request, _("%(name)s is rejected.") % {"name": organization.name})
        return redirect("organizations:review-list")
    return _render_review(request, organization, reject_form=form, status=400)
