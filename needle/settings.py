"""Every environment variable Needle reads: one table, read in one place.

Why: a setting that is read somewhere deep in the code and documented nowhere is a setting
nobody can rely on, and an environment variable is exactly that kind of setting. So each
one is a row of ``SETTINGS`` (name, default, help), the code reads it only through
:func:`get_setting`, the reference page ``docs/reference/settings.md`` is generated from
the table (``python -m needle.settings > docs/reference/settings.md``), and tests fail when
the page is stale or when any module reads a variable the table does not hold.

An empty value counts as unset, so ``NEEDLE_HOME= needle ...`` falls back to the default
rather than to an empty path.

Configuration that belongs to one initiative (its name, area, periods, partners,
disclosure thresholds) lives in the initiative's ``needle.toml``, not here: environment
variables are for what differs between machines (where the home is, which database, where
the secret is) and for what must never be written into a file that gets copied around (a
database password, the linkage secret).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "SETTINGS",
    "Setting",
    "get_setting",
    "read_settings",
    "set_setting",
    "settings_reference",
]


@dataclass(frozen=True)
class Setting:
    """One environment variable: its name, its value when unset (None: no value), and what
    it does, written for the person setting it."""

    name: str
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "NEEDLE_HOME",
        ".",
        "The initiative's home folder (the one holding `needle.toml`) used by commands and "
        "by `open_home()` when no folder is given. Unset: the current folder.",
    ),
    Setting(
        "DATABASE_URL",
        None,
        "SQLAlchemy URL of the metadata database, e.g. "
        "`postgresql+psycopg://needle:PASSWORD@db.example.org/needle` in production. "
        "Unset: the embedded SQLite database `HOME/needle.sqlite`. Never written to "
        "`needle.toml`, because it may hold a password.",
    ),
    Setting(
        "NEEDLE_LINKAGE_SECRET",
        None,
        "The linkage secret itself (at least 16 bytes, written as hex or base64). When set, "
        "it wins over any secret file, and `needle init` writes no file. For servers whose "
        "secrets come from a key vault or the service manager.",
    ),
    Setting(
        "NEEDLE_LINKAGE_SECRET_FILE",
        None,
        "Path of the linkage secret file (mode 0600 or 0400). When set (and "
        "`NEEDLE_LINKAGE_SECRET` is not), it wins over `[linkage] secret_file` in "
        "`needle.toml`: for a secret kept outside the home, e.g. on a mounted secrets volume.",
    ),
    Setting(
        "NEEDLE_WEB_SECRET_KEY",
        None,
        "The web app's secret key (Django's `SECRET_KEY`: signs sessions, password-reset "
        "and CSRF tokens), at least 50 random characters. Unset: a key generated once and "
        "kept in `HOME/.needle-web-secret` (mode 0600). Never the linkage secret.",
    ),
    Setting(
        "NEEDLE_WEB_DEBUG",
        "0",
        "`1` runs the web app in debug mode (detailed error pages, plain-HTTP cookies, no "
        "HTTPS redirect): for a developer's machine only, never on a server.",
    ),
    Setting(
        "NEEDLE_WEB_ALLOWED_HOSTS",
        "localhost,127.0.0.1,[::1]",
        "Comma-separated host names the web app answers to, e.g. `needle.example.org`; "
        "requests for any other host are refused.",
    ),
    Setting(
        "NEEDLE_WEB_LOCAL_HTTP",
        "0",
        "`1` lets the web app work over plain HTTP on this computer only: no HTTPS "
        "redirect, no Secure flag on the session and CSRF cookies, no HSTS. Debug stays off, "
        "and the CSP, frame denial, CSRF checks, sessions and two-factor stay. Set by "
        "`needle serve` when it listens on a loopback address. Refused when "
        "`NEEDLE_WEB_BEHIND_PROXY` is set or an entry of `NEEDLE_WEB_ALLOWED_HOSTS` is not a "
        "loopback name (`localhost`, `127.0.0.1`, `[::1]`): serving a network needs HTTPS.",
    ),
    Setting(
        "NEEDLE_WEB_BEHIND_PROXY",
        "0",
        "`1` when the web app runs behind a reverse proxy that terminates HTTPS and sets "
        "`X-Forwarded-Proto`: the app then trusts that header to know a request was secure.",
    ),
    Setting(
        "NEEDLE_WEB_EMAIL_BACKEND",
        "console",
        "How the web app sends email (invitations, password resets): `console` prints it "
        "to the terminal, `file` writes it to `NEEDLE_WEB_EMAIL_FILE_PATH`, `smtp` sends it "
        "through `NEEDLE_WEB_EMAIL_HOST`.",
    ),
    Setting(
        "NEEDLE_WEB_EMAIL_FILE_PATH",
        None,
        "Folder for the `file` email backend, one file per message. Unset: `HOME/sent-email`.",
    ),
    Setting(
        "NEEDLE_WEB_EMAIL_FROM",
        "needle@localhost",
        "The sender address of the web app's email, e.g. `Needle <needle@example.org>`.",
    ),
    Setting(
        "NEEDLE_WEB_EMAIL_HOST",
        "localhost",
        "The SMTP server for the `smtp` email backend.",
    ),
    Setting(
        "NEEDLE_WEB_EMAIL_PORT",
        "587",
        "The SMTP server's port for the `smtp` email backend.",
    ),
    Setting(
        "NEEDLE_WEB_EMAIL_USER",
        None,
        "The SMTP user name for the `smtp` email backend. Unset: no authentication.",
    ),
    Setting(
        "NEEDLE_WEB_EMAIL_PASSWORD",
        None,
        "The SMTP password for the `smtp` email backend. Kept in the environment because it "
        "is a secret.",
    ),
    Setting(
        "NEEDLE_WEB_EMAIL_TLS",
        "1",
        "`1` uses STARTTLS with the SMTP server (the default and the safe choice); `0` "
        "sends in clear, only for a relay on the same machine.",
    ),
    Setting(
        "NEEDLE_WEB_ADMIN_PASSWORD",
        None,
        "The password `python -m needle_web create_backbone_admin` gives the first backbone "
        "admin instead of prompting for it: for automated set-ups only; unset it afterwards.",
    ),
    Setting(
        "NEEDLE_REQUIRE_SERVICES",
        "0",
        "Tests only: `1` turns a missing PostgreSQL server or browser into a test failure "
        "instead of a skip. Set by `.ci/run`, so CI can never pass by skipping.",
    ),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get_setting(name: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The value of setting ``name`` from ``environ`` (default: the process environment),
    or its default when unset or empty.

    Reading a name that is not in ``SETTINGS`` is a bug, not a user error: add the setting
    to the table (with its help) first.
    """
    try:
        setting = _BY_NAME[name]
    except KeyError:
        raise KeyError(
            f"{name} is not a Needle setting: add it to needle.settings.SETTINGS"
        ) from None
    env = os.environ if environ is None else environ
    value = env.get(name)
    return value if value else setting.default


def set_setting(name: str, value: str) -> None:
    """Set setting ``name`` in this process's environment, for what runs next in it.

    For a command that starts another part of Needle in its own process and must hand it
    a value (``needle serve`` gives the web app's settings the home it opened and local
    mode), so that the environment is written, like it is read, in this one module.
    """
    if name not in _BY_NAME:
        raise KeyError(f"{name} is not a Needle setting: add it to needle.settings.SETTINGS")
    os.environ[name] = value


def read_settings(environ: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Every setting's current value, by name."""
    return {s.name: get_setting(s.name, environ) for s in SETTINGS}


def settings_reference() -> str:
    """The Markdown page ``docs/reference/settings.md``."""
    lines = [
        "# Settings reference",
        "",
        "Generated from `needle.settings.SETTINGS` by `python -m needle.settings`; do not "
        "edit by hand.",
        "",
        "Needle reads these environment variables and no others (a test checks). An empty "
        "value counts as unset. What belongs to one initiative (name, area, periods, "
        "partners, disclosure thresholds) is in its `needle.toml` instead: see "
        "[the initiative guide](../guides/initiative.md).",
        "",
    ]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default is not None else "unset"
        lines += [f"## `{s.name}`", "", f"Default: {default}", "", s.help, ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(settings_reference(), end="")
