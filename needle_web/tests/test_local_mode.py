"""Local mode (needle_web.config.https_only): plain HTTP on this computer, nothing more."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from needle_web import config

LOCAL = {"NEEDLE_WEB_LOCAL_HTTP": "1"}


def test_https_only_by_default_and_relaxed_by_debug_or_local_mode() -> None:
    assert config.https_only({}) is True
    assert config.https_only({"NEEDLE_WEB_LOCAL_HTTP": "0"}) is True
    assert config.https_only({"NEEDLE_WEB_DEBUG": "1"}) is False
    assert config.local_http(LOCAL) is True and config.local_http({}) is False
    assert config.https_only(LOCAL) is False
    # Local mode does not turn debug on.
    assert config.debug(LOCAL) is False


def test_local_mode_is_for_loopback_host_names_only() -> None:
    loopback = LOCAL | {"NEEDLE_WEB_ALLOWED_HOSTS": "localhost,127.0.0.1,[::1],.localhost"}
    assert config.https_only(loopback) is False
    for hosts in ("localhost,needle.example.org", "*", "192.168.1.20", "0.0.0.0"):
        with pytest.raises(ImproperlyConfigured, match="this computer only") as refused:
            config.https_only(LOCAL | {"NEEDLE_WEB_ALLOWED_HOSTS": hosts})
        assert hosts.split(",")[-1] in str(refused.value)  # names the offending host


def test_local_mode_and_a_proxy_contradict_each_other() -> None:
    with pytest.raises(ImproperlyConfigured, match="contradict"):
        config.https_only(LOCAL | {"NEEDLE_WEB_BEHIND_PROXY": "1"})
    # Behind a proxy without local mode, HTTPS only as ever.
    assert config.https_only({"NEEDLE_WEB_BEHIND_PROXY": "1"}) is True


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("app.localhost", True),
        (".localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("needle.example.org", False),
        ("localhost.example.org", False),
        ("*", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert config.is_loopback(host) is loopback
