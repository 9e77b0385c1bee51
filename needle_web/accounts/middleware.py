"""Two-factor sign-in enforced for every page.

After the password, an account is signed in but not yet *verified*. Backbone accounts must
then set up an authenticator (if they have none) or enter a code; any account that has set
one up must enter a code. Until then every page except the two-factor pages, sign-out and
the health check redirects there. Why a middleware rather than a decorator on each view: a
page added later cannot forget it.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.http import urlencode

from needle_web.accounts.two_factor import two_factor_step

__all__ = ["ALLOWED_BEFORE_VERIFICATION", "TwoFactorMiddleware"]

ALLOWED_BEFORE_VERIFICATION = frozenset(
    {
        "accounts:two_factor_setup",
        "accounts:two_factor_verify",
        "accounts:logout",
        "pages:healthz",
    }
)


class TwoFactorMiddleware:
    """Sends a signed-in but unverified account to set up or enter its code."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        step = two_factor_step(request.user)
        if step is not None:
            try:
                name = resolve(request.path_info).view_name
            except Resolver404:
                name = None
            if name not in ALLOWED_BEFORE_VERIFICATION:
                url = reverse(f"accounts:two_factor_{step}")
                if request.method == "GET":
                    url += "?" + urlencode({"next": request.get_full_path()})
                return redirect(url)
        return self.get_response(request)
