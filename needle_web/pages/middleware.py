"""HTTP security headers Django 5.2 does not set itself: Content-Security-Policy and
Permissions-Policy.

Why here and not a package: Django 6.0 brings its own CSP; until then these twenty lines
are easier to read than another dependency. The policy is the ``CONTENT_SECURITY_POLICY``
setting, a mapping of directive to sources, where ``{nonce}`` becomes a fresh random value
per request, exposed as ``request.csp_nonce`` for the few inline scripts a page needs
(GOV.UK Frontend's ``js-enabled`` switch).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class ContentSecurityPolicyMiddleware:
    """Adds the CSP (with a per-request nonce) and a restrictive Permissions-Policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        nonce = secrets.token_urlsafe(16)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        policy: dict[str, str] = getattr(settings, "CONTENT_SECURITY_POLICY", {})
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = "; ".join(
                f"{directive} {sources.replace('{nonce}', nonce)}"
                for directive, sources in policy.items()
            )
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
