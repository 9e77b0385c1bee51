"""The accounts pages. Each view checks its input and hands the change to a service."""

from __future__ import annotations

import base64
from typing import Any

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from needle_web.accounts import forms, selectors, services
from needle_web.accounts.permissions import role_required
from needle_web.accounts.roles import Role
from needle_web.accounts.two_factor import two_factor_step
from needle_web.audit.actions import AuditAction
from needle_web.audit.services import audit_record

INVITATION_SESSION_KEY = "needle_invitation_token"
WRONG_CODE = "The code is not right: enter the code the app shows now"


def _next_url(request: HttpRequest) -> str:
    """Where to go after a two-factor step: ``next`` when it is on this site, else home."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


# ---- sign-in, sign-out, password reset --------------------------------------------------


class SignInView(auth_views.LoginView):
    """Email and password; django-axes counts failures and locks out."""

    template_name = "accounts/sign_in.html"
    form_class = forms.SignInForm
    redirect_authenticated_user = True


class SignOutView(auth_views.LogoutView):
    """Sign-out is a POST (a link could be followed by a prefetching browser)."""


class PasswordResetView(auth_views.PasswordResetView):
    """Asks for an address and sends a link if it has an active account, saying the same
    thing either way."""

    template_name = "accounts/password_reset_form.html"
    form_class = forms.PasswordResetForm
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choosing the new password; recorded in the audit log."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = forms.SetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        audit_record(
            action=AuditAction.PASSWORD_RESET,
            actor=form.user,
            target=f"account {form.user.pk} ({form.user.email})",
            request=self.request,
        )
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# ---- invitations ------------------------------------------------------------------------


def invitation_open(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the email: keep the token in the session and drop it from the address
    bar, so it does not linger in browser history or leak in a Referer header."""
    request.session[INVITATION_SESSION_KEY] = token
    return redirect("accounts:invitation_accept")


def invitation_accept(request: HttpRequest) -> HttpResponse:
    """Set a name and password to accept the invitation, then arrive signed in."""
    token = request.session.get(INVITATION_SESSION_KEY, "")
    try:
        invitation = services.invitation_check(token=token)
    except services.InvitationInvalid as problem:
        return render(
            request, "accounts/invitation_invalid.html", {"problem": str(problem)}, status=410
        )
    form = forms.AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                token=token,
                password=form.cleaned_data["password1"],
                full_name=form.cleaned_data["full_name"],
                request=request,
            )
        except ValidationError as error:
            form.add_error("password1", error)
        except services.InvitationInvalid as problem:
            return render(
                request, "accounts/invitation_invalid.html", {"problem": str(problem)}, status=410
            )
        else:
            request.session.pop(INVITATION_SESSION_KEY, None)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(
        request, "accounts/invitation_accept.html", {"form": form, "invitation": invitation}
    )


# ---- administration ---------------------------------------------------------------------


@role_required(Role.BACKBONE_ADMIN)
def account_list(request: HttpRequest) -> HttpResponse:
    """Every account and every pending invitation."""
    context = {
        "accounts": selectors.account_list(),
        "invitations": selectors.invitation_list_pending(),
    }
    return render(request, "accounts/account_list.html", context)


@role_required(Role.BACKBONE_ADMIN)
def invitation_new(request: HttpRequest) -> HttpResponse:
    """Invite someone by email with a role (and a partner for partner roles)."""
    form = forms.InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_create(
                invited_by=request.user,  # type: ignore[arg-type]
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                partner_code=form.cleaned_data["partner_code"],
                site_url=f"{request.scheme}://{request.get_host()}",
                request=request,
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}")
            return redirect("accounts:account_list")
    return render(request, "accounts/invitation_form.html", {"form": form})


@require_POST
@role_required(Role.BACKBONE_ADMIN)
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    """Withdraw a pending invitation."""
    invitation = selectors.invitation_get(invitation_id=invitation_id)
    if invitation is None:
        raise Http404
    services.invitation_revoke(actor=request.user, invitation=invitation, request=request)  # type: ignore[arg-type]
    messages.success(request, f"Invitation to {invitation.email} withdrawn")
    return redirect("accounts:account_list")


@role_required(Role.BACKBONE_ADMIN)
def account_deactivate(request: HttpRequest, account_id: int) -> HttpResponse:
    """Ask to confirm, then stop an account signing in."""
    account = selectors.account_get(account_id=account_id)
    if account is None:
        raise Http404
    error = ""
    if request.method == "POST":
        try:
            services.account_deactivate(actor=request.user, account=account, request=request)  # type: ignore[arg-type]
        except ValidationError as problem:
            error = " ".join(problem.messages)
        else:
            messages.success(request, f"{account.email} can no longer sign in")
            return redirect("accounts:account_list")
    return render(request, "accounts/account_deactivate.html", {"account": account, "error": error})


# ---- two-factor -------------------------------------------------------------------------


def _qr_svg(device: TOTPDevice) -> str:
    """The device's ``otpauth://`` URI as an inline SVG QR code with an accessible name."""
    svg = segno.make(device.config_url, micro=False).svg_inline(
        scale=5, dark="#0b0c0c", light="#ffffff", title="QR code for your authenticator app"
    )
    return svg.replace("<svg ", '<svg role="img" focusable="false" ', 1)


def _manual_key(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for apps where the QR code cannot be scanned."""
    key = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the code (or type the key), then enter a code.

    Required for backbone accounts, optional for others. An account that already has one
    must enter its code first: otherwise a stolen password would be enough to replace it.
    """
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if two_factor_step(request.user) == "verify":
        return redirect("accounts:two_factor_verify")
    user = request.user
    current = selectors.confirmed_totp_device(user)  # type: ignore[arg-type]
    if current is not None and "replace" not in request.GET and request.method != "POST":
        return render(request, "accounts/two_factor_on.html", {"device": current})
    device = selectors.pending_totp_device(user)  # type: ignore[arg-type]
    if device is None or (request.method == "GET" and "replace" in request.GET):
        device = services.totp_device_start(user=user)  # type: ignore[arg-type]
    form = forms.TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = services.totp_device_confirm(
                user=user,  # type: ignore[arg-type]
                device=device,
                code=form.cleaned_data["code"],
                request=request,
            )
        except ValidationError as problem:
            form.add_error("code", problem)
        else:
            if confirmed:
                django_otp.login(request, device)
                messages.success(request, "Two-factor sign-in is set up")
                return redirect(_next_url(request))
            form.add_error("code", WRONG_CODE)
    context = {
        "form": form,
        "qr_svg": _qr_svg(device),
        "manual_key": _manual_key(device),
        "required": user.is_backbone,  # type: ignore[union-attr]
        "next": _next_url(request),
    }
    return render(request, "accounts/two_factor_setup.html", context)


def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Enter the code from the authenticator app after the password."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    device = selectors.confirmed_totp_device(request.user)  # type: ignore[arg-type]
    if device is None or two_factor_step(request.user) is None:
        return redirect(_next_url(request))
    form = forms.TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(form.cleaned_data["code"]):
            django_otp.login(request, device)
            audit_record(
                action=AuditAction.TWO_FACTOR_VERIFIED,
                actor=request.user,
                target=request.user.email,  # type: ignore[union-attr]
                request=request,
            )
            return redirect(_next_url(request))
        if allowed:
            form.add_error("code", WRONG_CODE)
        else:
            form.add_error("code", services.TOO_MANY_CODES)
    return render(
        request, "accounts/two_factor_verify.html", {"form": form, "next": _next_url(request)}
    )
