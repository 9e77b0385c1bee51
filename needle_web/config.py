"""The web app's configuration, read from Needle's settings table (``needle.settings``).

Why a module apart from ``needle_web/settings.py``: Django's settings module should be a
flat list of assignments that a reader can scan; the few decisions behind them (where the
database is, where the secret key comes from, which email backend) are functions here,
each testable on its own with an explicit environment. Every environment variable is read
through :func:`needle.settings.get_setting`, so it is in the one table and documented.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from django.core.exceptions import ImproperlyConfigured

from needle.settings import get_setting

__all__ = [
    "SECRET_FILE_NAME",
    "SQLITE_FILE_NAME",
    "allowed_hosts",
    "behind_proxy",
    "databases",
    "debug",
    "email_settings",
    "https_only",
    "is_loopback",
    "local_http",
    "secret_key",
    "web_home",
]

SECRET_FILE_NAME = ".needle-web-secret"
SQLITE_FILE_NAME = "needle-web.sqlite"
_EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def web_home(environ: Mapping[str, str] | None = None) -> Path:
    """The initiative's home (``NEEDLE_HOME``, else the current folder): the web app keeps
    its database and fallback secret there, beside the core's, so one folder is one
    initiative."""
    return Path(get_setting("NEEDLE_HOME", environ) or ".").expanduser().resolve()


def debug(environ: Mapping[str, str] | None = None) -> bool:
    """Debug mode is opt-in: a server that forgets to set anything is a production one."""
    return _flag(get_setting("NEEDLE_WEB_DEBUG", environ))


def behind_proxy(environ: Mapping[str, str] | None = None) -> bool:
    """Whether to trust ``X-Forwarded-Proto`` from a TLS-terminating reverse proxy."""
    return _flag(get_setting("NEEDLE_WEB_BEHIND_PROXY", environ))


def allowed_hosts(environ: Mapping[str, str] | None = None) -> list[str]:
    """The host names the app answers to."""
    raw = get_setting("NEEDLE_WEB_ALLOWED_HOSTS", environ) or ""
    return [host.strip() for host in raw.split(",") if host.strip()]


def local_http(environ: Mapping[str, str] | None = None) -> bool:
    """Whether local mode is on (``NEEDLE_WEB_LOCAL_HTTP``): plain HTTP on this computer."""
    return _flag(get_setting("NEEDLE_WEB_LOCAL_HTTP", environ))


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address, a name, or an ``ALLOWED_HOSTS`` entry such as
    ``[::1]`` or ``.localhost``) can only mean this computer."""
    name = host.strip().lower().removeprefix(".")
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name == "localhost" or name.endswith(".localhost"):  # RFC 6761: always loopback
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def https_only(environ: Mapping[str, str] | None = None) -> bool:
    """Whether browsers must use HTTPS: Secure cookies, the HTTPS redirect and HSTS.

    Yes unless debug mode or local mode is on. Local mode exists because a laptop serving
    itself on ``http://127.0.0.1`` cannot set Secure cookies, so nobody could sign in; it
    relaxes only these, not debug. It is refused when the app answers to any host name
    that could reach it from another machine, or sits behind a proxy, because then plain
    HTTP would carry passwords and session cookies over a network.
    """
    if local_http(environ):
        remote = [host for host in allowed_hosts(environ) if not is_loopback(host)]
        if remote:
            raise ImproperlyConfigured(
                "NEEDLE_WEB_LOCAL_HTTP=1 serves plain HTTP and is for this computer only, "
                f"but NEEDLE_WEB_ALLOWED_HOSTS also names {', '.join(remote)}: serve a "
                "network over HTTPS (see NEEDLE_WEB_BEHIND_PROXY) and unset "
                "NEEDLE_WEB_LOCAL_HTTP"
            )
        if behind_proxy(environ):
            raise ImproperlyConfigured(
                "NEEDLE_WEB_LOCAL_HTTP=1 (plain HTTP on this computer) and "
                "NEEDLE_WEB_BEHIND_PROXY=1 (HTTPS from a proxy) contradict each other: "
                "unset one"
            )
        return False
    return not debug(environ)


def secret_key(home: Path, environ: Mapping[str, str] | None = None) -> str:
    """``NEEDLE_WEB_SECRET_KEY``, else a key generated once into ``HOME/.needle-web-secret``.

    Why a file and not a constant: a key written in the source is everybody's key, and
    anyone holding it can forge sessions. The file is created private (0600) and refused
    when others can read it, as the linkage secret is (decision 0006).
    """
    configured = get_setting("NEEDLE_WEB_SECRET_KEY", environ)
    if configured:
        return configured
    path = home / SECRET_FILE_NAME
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise ImproperlyConfigured(
                f"{path} can be read by other users (mode {mode:o}): run `chmod 600 {path}`"
            )
        key = path.read_text(encoding="ascii").strip()
        if len(key) < 50:
            raise ImproperlyConfigured(f"{path} holds no usable key: delete it to make one")
        return key
    # O_EXCL: if two processes start at once, one creates the file and the other fails
    # loudly rather than each keeping a different key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    key = secrets.token_urlsafe(64)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key


def databases(home: Path, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Django's ``DATABASES``: the PostgreSQL server of ``DATABASE_URL`` when it names one,
    else an SQLite file ``HOME/needle-web.sqlite``.

    ``DATABASE_URL`` is the core's SQLAlchemy URL (e.g.
    ``postgresql+psycopg://user:pw@host:5432/db``), so on a server the Django tables live in
    the same database as the core's, each with its own migrations (decision 0008). An
    SQLite ``DATABASE_URL`` is the core's own file: the web app keeps a file of its own then,
    because SQLite allows one writer and the core writes in long transactions.
    """
    raw = get_setting("DATABASE_URL", environ)
    if raw:
        url = sa.make_url(raw)
        if url.get_backend_name() == "postgresql":
            options: dict[str, Any] = {}
            for key, value in url.query.items():
                options[key] = value if isinstance(value, str) else value[-1]
            return {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": url.database or "",
                    "USER": url.username or "",
                    "PASSWORD": url.password or "",
                    "HOST": url.host or "",
                    "PORT": str(url.port or ""),
                    "OPTIONS": options,
                    "CONN_MAX_AGE": 60,
                    "CONN_HEALTH_CHECKS": True,
                }
            }
    return {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": home / SQLITE_FILE_NAME,
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
            # Kept open between requests: a new SQLite connection costs more than a
            # signed-in page's three queries (docs/benchmarks.md, Web).
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    }


def email_settings(home: Path, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The ``EMAIL_*`` settings: console by default, so a first try prints invitation links
    in the terminal rather than failing to reach a mail server."""
    name = (get_setting("NEEDLE_WEB_EMAIL_BACKEND", environ) or "console").strip().lower()
    if name not in _EMAIL_BACKENDS:
        raise ImproperlyConfigured(
            f"NEEDLE_WEB_EMAIL_BACKEND={name!r} is not one of {', '.join(_EMAIL_BACKENDS)}"
        )
    values: dict[str, Any] = {
        "EMAIL_BACKEND": _EMAIL_BACKENDS[name],
        "DEFAULT_FROM_EMAIL": get_setting("NEEDLE_WEB_EMAIL_FROM", environ),
        "SERVER_EMAIL": get_setting("NEEDLE_WEB_EMAIL_FROM", environ),
    }
    if name == "file":
        folder = get_setting("NEEDLE_WEB_EMAIL_FILE_PATH", environ)
        values["EMAIL_FILE_PATH"] = Path(folder) if folder else home / "sent-email"
    if name == "smtp":
        port = get_setting("NEEDLE_WEB_EMAIL_PORT", environ) or "587"
        if not port.isdigit():
            raise ImproperlyConfigured(f"NEEDLE_WEB_EMAIL_PORT={port!r} is not a port number")
        values |= {
            "EMAIL_HOST": get_setting("NEEDLE_WEB_EMAIL_HOST", environ),
            "EMAIL_PORT": int(port),
            "EMAIL_HOST_USER": get_setting("NEEDLE_WEB_EMAIL_USER", environ) or "",
            "EMAIL_HOST_PASSWORD": get_setting("NEEDLE_WEB_EMAIL_PASSWORD", environ) or "",
            "EMAIL_USE_TLS": _flag(get_setting("NEEDLE_WEB_EMAIL_TLS", environ)),
            "EMAIL_TIMEOUT": 20,
        }
    return values
