from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from . import services
from .forms import ApiKeyForm, ProfileForm
from .permissions import get_api_key_for


def _add_domain_error(form, exc: services.AccountError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.update_profile(user, actor=user, **form.cleaned_data)
            except services.AccountError as exc:
                _add_domain_error(form, exc)
            else:
                messages.success(request, _("Your profile was saved."))
                return redirect("accounts:profile")
    else:
        form = ProfileForm(
            initial={
                "full_name": user.full_name,
                "country": user.country,
                "organization_type": user.organization_type,
            }
        )
    return render(
        request,
        "accounts/profile_edit.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
def apikey_list(request: HttpRequest) -> HttpResponse:
    """The user's API keys; POST creates one and shows its secret, this once only."""
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            api_key, secret = services.create_api_key(
                request.user, name=form.cleaned_data["name"], actor=request.user
            )
            response = render(
                request, "accounts/apikey_created.html", {"api_key": api_key, "secret": secret}
            )
            # The secret is on this page only: keep it out of every cache.
            add_never_cache_headers(response)
            return response
    else:
        form = ApiKeyForm()
    return render(
        request,
        "accounts/apikey_list.html",
        {"form": form, "api_keys": request.user.api_keys.all()},
        status=400 if form.errors else 200,
    )


@login_required
def apikey_revoke(request: HttpRequest, prefix: str) -> HttpResponse:
    """GET asks for confirmation, POST revokes."""
    api_key = get_api_key_for(request.user, prefix)
    if request.method == "POST":
        services.revoke_api_key(api_key, actor=request.user)
        messages.success(request, _("The key %(prefix)s was revoked.") % {"prefix": api_key.prefix})
        return redirect("accounts:apikey-list")
    return render(request, "accounts/apikey_revoke.html", {"api_key": api_key})
