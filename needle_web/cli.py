"""`needle serve`: the web app on a laptop, on the embedded defaults.

The command opens the initiative's home, brings the web app's database up to date and
serves ``needle_web.wsgi:application`` with waitress, a real WSGI server in pure Python
that runs wherever Needle does (gunicorn does not run on Windows), on this computer only.
Over plain HTTP a browser would drop the app's Secure cookies and nobody could sign in, so
the command turns on local mode (``NEEDLE_WEB_LOCAL_HTTP``, see ``needle_web.config``),
and refuses any address another machine could reach: a server runs the WSGI application
under gunicorn behind an HTTPS proxy instead (decision 0008).

Django is imported only inside the command: the core's CLI loads this module through the
``needle.commands`` entry points, and ``needle --help`` should stay fast and Django-free.
"""

from __future__ import annotations

import shlex
import signal
from pathlib import Path
from typing import Any

import click

from needle.cli_errors import CleanCommand
from needle.errors import NeedleInputError

__all__ = ["serve"]


def _url_host(host: str) -> str:
    """``host`` as it is written in a URL and a ``Host`` header (IPv6 in brackets)."""
    return f"[{host}]" if ":" in host else host


def _stop(signum: int, frame: Any) -> None:
    """SIGTERM (a service manager, ``kill``) stops the server as Ctrl+C does: waitress ends
    its loop on SystemExit, lets running requests finish, and the command returns."""
    raise SystemExit(0)


@click.command(cls=CleanCommand)
@click.option(
    "--home",
    type=click.Path(path_type=Path),
    help="The initiative's home folder (default: $NEEDLE_HOME, else the current folder).",
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="The address to listen on: a loopback address (127.0.0.1, ::1 or localhost), as "
    "the app is served over plain HTTP to this computer only.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="The port to listen on (0: any free port).",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="How many requests are handled at once.",
)
def serve(home: Path | None, host: str, port: int, threads: int) -> None:
    """Serve the web app on this computer, over plain HTTP, until Ctrl+C.

    Opens the initiative's home, brings the web app's database up to date
    (HOME/needle-web.sqlite, or the PostgreSQL database of DATABASE_URL) and serves the
    app with waitress in local mode: cookies work over http://, while the content security
    policy, CSRF checks and two-factor sign-in stay on. To serve a network, run
    needle_web.wsgi:application under gunicorn behind an HTTPS proxy
    (NEEDLE_WEB_BEHIND_PROXY=1) instead; see docs/reference/settings.md.
    """
    from needle.initiative import open_home
    from needle.settings import get_setting, set_setting
    from needle_web import config

    host = host.strip().removeprefix("[").removesuffix("]")
    if not config.is_loopback(host):
        raise NeedleInputError(
            f"`needle serve` serves plain HTTP to this computer only, and {host} is not a "
            "loopback address: use --host 127.0.0.1 (the default), ::1 or localhost. To "
            "serve a network, run needle_web.wsgi:application under gunicorn behind a "
            "reverse proxy that provides HTTPS, with NEEDLE_WEB_BEHIND_PROXY=1."
        )
    the_home = open_home(home)

    # The web app's settings read the environment when Django starts, below.
    set_setting("NEEDLE_HOME", str(the_home.root))
    local = not config.behind_proxy()
    if local:
        set_setting("NEEDLE_WEB_LOCAL_HTTP", "1")
    application, settings = _start_django()

    url_host = _url_host(host)
    from django.http.request import validate_host

    if not validate_host(url_host, settings.ALLOWED_HOSTS):
        raise NeedleInputError(
            f"NEEDLE_WEB_ALLOWED_HOSTS ({get_setting('NEEDLE_WEB_ALLOWED_HOSTS')}) does not "
            f"name {url_host}, so the app would refuse every request: add it, or serve on "
            "127.0.0.1."
        )

    from waitress import create_server

    try:
        server = create_server(application, host=host, port=port, threads=threads)
    except OSError as error:
        raise NeedleInputError(
            f"Cannot listen on {url_host}:{port}: {error.strerror or error}. Is another "
            "server using the port? Choose another with --port."
        ) from None

    listening = getattr(server, "effective_listen", None) or [
        (server.effective_host, server.effective_port)
    ]
    ports = {bound_port for _, bound_port in listening}
    if len(ports) == 1:
        urls = [f"http://{url_host}:{ports.pop()}/"]
    else:  # port 0 with a name that has several addresses: one free port each
        urls = [f"http://{_url_host(address)}:{bound}/" for address, bound in listening]

    click.echo(f"Needle web app for {the_home.config.name} ({the_home.root})")
    click.echo(f"Database: {_describe_database(settings.DATABASES['default'])} (up to date)")
    if not _has_accounts():
        command = (
            f"NEEDLE_HOME={shlex.quote(str(the_home.root))} python -m needle_web "
            "create_backbone_admin --email you@example.org"
        )
        click.echo(f"No accounts yet: create the first backbone admin with\n  {command}")
    if not local:
        click.echo(
            "NEEDLE_WEB_BEHIND_PROXY is set, so local mode is off: open the app through "
            "the HTTPS proxy."
        )
    for url in urls:
        click.echo(f"Serving on {url} (this computer only; waitress, {threads} threads)")
    click.echo("Press Ctrl+C to stop.")

    # Ctrl+C stops the server even when the parent process ignored SIGINT (as a shell
    # does for a background job), and SIGTERM stops it the same way.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.run()  # returns on Ctrl+C (KeyboardInterrupt) or SIGTERM (SystemExit)
    finally:
        server.close()
        from django.db import connections

        connections.close_all()
    click.echo("Stopped.")


def _start_django() -> tuple[Any, Any]:
    """Load the WSGI application and apply the web app's migrations; configuration and
    database problems become messages, not tracebacks."""
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import CommandError, call_command
    from django.db import OperationalError

    try:
        from django.conf import settings

        from needle_web.wsgi import application

        call_command("migrate", interactive=False, verbosity=0)
    except ImproperlyConfigured as error:
        raise NeedleInputError(f"The web app's settings: {error}") from None
    except (CommandError, OperationalError) as error:
        raise NeedleInputError(f"Cannot bring the web app's database up to date: {error}") from None
    return application, settings


def _describe_database(database: dict[str, Any]) -> str:
    """Where the web app's tables are, without any password."""
    if database["ENGINE"].endswith("sqlite3"):
        return str(database["NAME"])
    where = database["HOST"] or "localhost"
    if database["PORT"]:
        where += f":{database['PORT']}"
    return f"PostgreSQL database {database['NAME']} on {where}"


def _has_accounts() -> bool:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.exists()
