"""Where the web app's configuration comes from (needle_web.config)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from needle_web import config


def test_sqlite_in_the_home_by_default(tmp_path: Path) -> None:
    db = config.databases(tmp_path, {})["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == tmp_path / "needle-web.sqlite"
    # The core's own SQLite file is not shared: the web app keeps its own.
    core = config.databases(tmp_path, {"DATABASE_URL": f"sqlite:///{tmp_path}/needle.sqlite"})
    assert core["default"]["NAME"] == tmp_path / "needle-web.sqlite"


def test_postgresql_from_the_sqlalchemy_url(tmp_path: Path) -> None:
    url = "postgresql+psycopg://needle:s%40cret@db.example.org:6543/needle?sslmode=require"
    db = config.databases(tmp_path, {"DATABASE_URL": url})["default"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["NAME"], db["USER"], db["PASSWORD"], db["HOST"], db["PORT"]) == (
        "needle",
        "needle",
        "s@cret",
        "db.example.org",
        "6543",
    )
    assert db["OPTIONS"] == {"sslmode": "require"}


def test_secret_key_from_the_environment_or_a_private_file(tmp_path: Path) -> None:
    assert config.secret_key(tmp_path, {"NEEDLE_WEB_SECRET_KEY": "k" * 60}) == "k" * 60
    assert not (tmp_path / ".needle-web-secret").exists()

    first = config.secret_key(tmp_path, {})
    path = tmp_path / ".needle-web-secret"
    assert len(first) >= 50 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert config.secret_key(tmp_path, {}) == first  # generated once, then reused

    os.chmod(path, 0o644)
    with pytest.raises(ImproperlyConfigured, match="chmod 600"):
        config.secret_key(tmp_path, {})


def test_flags_hosts_and_email(tmp_path: Path) -> None:
    assert config.debug({}) is False and config.debug({"NEEDLE_WEB_DEBUG": "1"}) is True
    assert config.allowed_hosts({"NEEDLE_WEB_ALLOWED_HOSTS": "a.org, b.org,"}) == ["a.org", "b.org"]
    assert config.email_settings(tmp_path, {})["EMAIL_BACKEND"].endswith("console.EmailBackend")
    filed = config.email_settings(tmp_path, {"NEEDLE_WEB_EMAIL_BACKEND": "file"})
    assert filed["EMAIL_FILE_PATH"] == tmp_path / "sent-email"
    smtp = config.email_settings(
        tmp_path,
        {
            "NEEDLE_WEB_EMAIL_BACKEND": "SMTP",
            "NEEDLE_WEB_EMAIL_HOST": "smtp.example.org",
            "NEEDLE_WEB_EMAIL_PASSWORD": "pw",
        },
    )
    assert (smtp["EMAIL_HOST"], smtp["EMAIL_PORT"], smtp["EMAIL_USE_TLS"]) == (
        "smtp.example.org",
        587,
        True,
    )
    with pytest.raises(ImproperlyConfigured):
        config.email_settings(tmp_path, {"NEEDLE_WEB_EMAIL_BACKEND": "pigeon"})
