"""The home page, the health check and the security headers every page carries."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account, signed_in_client

pytestmark = pytest.mark.django_db


def test_home_for_visitors_and_for_accounts(client: Client) -> None:
    visitor = client.get(reverse("pages:home")).content.decode()
    assert reverse("accounts:login") in visitor and "Signed in as" not in visitor

    user = make_account(Role.STEERING_GROUP, email="chair@example.org", full_name="Ash Chair")
    page = signed_in_client(user).get(reverse("pages:home")).content.decode()
    assert "Ash Chair (chair@example.org)" in page and "Steering group member" in page
    assert f'action="{reverse("accounts:logout")}"' in page and 'method="post"' in page


def test_healthz(client: Client) -> None:
    response = client.get(reverse("pages:healthz"))
    assert response.status_code == 200 and response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]


def test_plain_http_is_redirected_except_the_health_check() -> None:
    plain = Client()
    redirect = plain.get(reverse("pages:home"))
    assert redirect.status_code == 301 and redirect.url.startswith("https://")
    assert plain.get(reverse("pages:healthz")).status_code == 200


def test_security_headers(client: Client) -> None:
    response = client.get(reverse("accounts:login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in response["Strict-Transport-Security"]
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce and nonce.group(1) == response.wsgi_request.csp_nonce  # type: ignore[attr-defined]
    again = client.get(reverse("accounts:login"))["Content-Security-Policy"]
    assert nonce.group(1) not in again  # a fresh nonce per request
    assert "camera=()" in response["Permissions-Policy"]
    cookies = response.cookies
    assert cookies["csrftoken"]["secure"] and cookies["csrftoken"]["samesite"] == "Lax"


def test_csrf_is_enforced() -> None:
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(
        reverse("accounts:login"), {"username": "a@example.org", "password": "x"}, secure=True
    )
    assert response.status_code == 403
