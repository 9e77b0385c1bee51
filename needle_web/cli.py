"""`needle serve`: the web app on a laptop, on the embedded defaults.

The command opens the initiative's home, brings the web app's database up to date and
serves ``needle_web.wsgi:application`` with waitress, a real WSGI server in pure Python
that runs wherever Needle does (gunicorn does not run on Windows), on this computer only.
Over plain HTTP a browser would drop the app's Secure cookies and nobody could sign in, so
the command turns on local mode (``NEEDLE_WEB_LOCAL_HTTP``, see ``needle_web.config``),
and refuses any address another machine could reach: a server runs the WSGI application
under gunicorn behind an HTTPS proxy instead (decision 0008).

Files partners send are checked by the background worker (``python -m needle_web
db_worker``, decision 0008), so the command runs it too, as a child process: a crash of
the worker does not take the web server down (the worker is started again), and a crash of
the server does not leave a worker behind. ``--no-worker`` is for those who run the worker
separately.

``--demo`` adds demo accounts of every role to a demo home (needle_web.demo) and prints
them; ``./bin/demo`` uses it after ``needle demo``.

Django is imported only inside the command: the core's CLI loads this module through the
``needle.commands`` entry points, and ``needle --help`` should stay fast and Django-free.
"""

from __future__ import annotations

import errno
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from needle.cli_errors import CleanCommand
from needle.errors import NeedleInputError

__all__ = ["BackgroundWorker", "serve"]

WORKER_COMMAND = ("-m", "needle_web", "db_worker", "--no-reload")
RESTART_AFTER = 2.0  # seconds before a worker that died is started again
STOP_WAIT = 30.0  # seconds a stopping worker may take to finish the file it is checking
PORTS_TO_TRY = 20  # without --port: 8000, else the next free one up to 8019


class BackgroundWorker:
    """The database worker in a child process, started again if it dies while serving.

    The child runs in its own process group, so Ctrl+C at the terminal reaches only this
    process, which then asks the worker once (SIGTERM) to finish the file it is checking
    and stop. A worker still busy after :data:`STOP_WAIT` is killed; its upload stays
    "being checked" and the partner can send it to be checked again (the core never pools
    a file twice).
    """

    def __init__(self, echo: Callable[[str], None]) -> None:
        self.echo = echo
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()

    def start(self) -> None:
        self._spawn()
        threading.Thread(target=self._watch, name="needle-worker-watch", daemon=True).start()

    def _spawn(self) -> None:
        # The child inherits this process's environment, where `serve` has set the home
        # and local mode, so the worker's settings are the server's.
        self.process = subprocess.Popen(
            [sys.executable, *WORKER_COMMAND], start_new_session=sys.platform != "win32"
        )
        self.echo(
            f"Background worker started (process {self.process.pid}): it checks the files "
            "partners send."
        )

    def _watch(self) -> None:
        while not self._stopping.is_set():
            assert self.process is not None
            code = self.process.wait()
            if self._stopping.is_set():
                return
            self.echo(
                f"The background worker stopped unexpectedly (exit status {code}); starting "
                f"it again in {RESTART_AFTER:g} seconds."
            )
            if self._stopping.wait(RESTART_AFTER):
                return
            with self._lock:
                if not self._stopping.is_set():
                    self._spawn()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=STOP_WAIT)
        except subprocess.TimeoutExpired:
            self.echo(
                "The background worker did not finish its file in time and was stopped; "
                "that file can be sent to be checked again."
            )
            process.kill()
            process.wait()


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
    help="The port to listen on (0: any free port). Without this option, 8000, or the "
    "next free port when another program uses it.",
)
@click.option(
    "--threads",
    type=click.IntRange(1, 64),
    default=4,
    show_default=True,
    help="How many requests are handled at once.",
)
@click.option(
    "--no-worker",
    is_flag=True,
    help="Do not start the background worker that checks the files partners send (for "
    "those who run `python -m needle_web db_worker` separately).",
)
@click.option(
    "--demo",
    is_flag=True,
    help="Add demo accounts of every role (one published password) and print them. For "
    "the demo's home only: refused when the app already has accounts of its own.",
)
def serve(
    home: Path | None, host: str, port: int, threads: int, no_worker: bool, demo: bool
) -> None:
    """Serve the web app on this computer, over plain HTTP, until Ctrl+C.

    Opens the initiative's home, brings the web app's database up to date
    (HOME/needle-web.sqlite, or the PostgreSQL database of DATABASE_URL), starts the
    background worker that checks the files partners send, and serves the app with
    waitress in local mode: cookies work over http://, while the content security policy,
    CSRF checks and two-factor sign-in stay on. To serve a network, run
    needle_web.wsgi:application under gunicorn behind an HTTPS proxy
    (NEEDLE_WEB_BEHIND_PROXY=1), and the worker separately, instead; see
    docs/reference/settings.md.
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
    if demo and not local:
        raise NeedleInputError(
            "--demo makes accounts with a published password, so it is refused while "
            "NEEDLE_WEB_BEHIND_PROXY is set: demo accounts are for this computer only."
        )
    if local:
        set_setting("NEEDLE_WEB_LOCAL_HTTP", "1")
    application, settings = _start_django()
    demo_accounts = _demo_accounts(the_home) if demo else []

    url_host = _url_host(host)
    from django.http.request import validate_host

    if not validate_host(url_host, settings.ALLOWED_HOSTS):
        raise NeedleInputError(
            f"NEEDLE_WEB_ALLOWED_HOSTS ({get_setting('NEEDLE_WEB_ALLOWED_HOSTS')}) does not "
            f"name {url_host}, so the app would refuse every request: add it, or serve on "
            "127.0.0.1."
        )

    chosen = click.get_current_context().get_parameter_source("port")
    tries = 1 if port == 0 or chosen != click.core.ParameterSource.DEFAULT else PORTS_TO_TRY
    server = _listen(application, host=host, port=port, threads=threads, tries=tries)

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
    if demo_accounts:
        _print_demo_accounts(demo_accounts, the_home.root)
    elif not _has_accounts():
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
    worker = None if no_worker else BackgroundWorker(click.echo)
    if worker is None:
        click.echo(
            "Background worker not started (--no-worker): files partners send wait until "
            "`python -m needle_web db_worker` runs with the same settings."
        )
    for url in urls:
        click.echo(f"Serving on {url} (this computer only; waitress, {threads} threads)")
    click.echo("Press Ctrl+C to stop.")

    # Ctrl+C stops the server even when the parent process ignored SIGINT (as a shell
    # does for a background job), and SIGTERM stops it the same way.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _stop)
    try:
        if worker is not None:
            worker.start()
        server.run()  # returns on Ctrl+C (KeyboardInterrupt) or SIGTERM (SystemExit)
    finally:
        server.close()
        if worker is not None:
            worker.stop()
        from django.db import connections

        connections.close_all()
    click.echo("Stopped.")


def _listen(application: Any, *, host: str, port: int, threads: int, tries: int) -> Any:
    """A waitress server listening on ``port``, or on the next free one of ``tries``."""
    from waitress import create_server

    for attempt in range(tries):
        try:
            return create_server(application, host=host, port=port + attempt, threads=threads)
        except OSError as error:
            if error.errno == errno.EADDRINUSE and attempt + 1 < tries:
                continue
            span = f"{port}" if tries == 1 else f"{port} to {port + tries - 1}"
            raise NeedleInputError(
                f"Cannot listen on {_url_host(host)}:{span}: {error.strerror or error}. Is "
                "another server using the port? Choose another with --port."
            ) from None
    raise AssertionError("unreachable")  # pragma: no cover


def _demo_accounts(home: Any) -> list[Any]:
    from needle_web.demo import DemoRefused, demo_accounts_ensure

    try:
        return demo_accounts_ensure(partners=[p.code for p in home.config.partners])
    except DemoRefused as refused:
        raise NeedleInputError(str(refused)) from None


def _print_demo_accounts(accounts: list[Any], root: Path) -> None:
    from needle_web.demo import DEMO_PASSWORD

    click.echo(f"\nDemo accounts (for trying Needle only), each with the password {DEMO_PASSWORD}:")
    for account in accounts:
        partner = f" for partner {account.partner_code}" if account.partner_code else ""
        click.echo(f"  {account.email:<40} {account.role_label}{partner}")
    click.echo(
        "Backbone accounts also need a code from an authenticator app. Add the key (or the "
        "otpauth link) to your app:"
    )
    for account in accounts:
        if account.totp_key:
            click.echo(f"  {account.email}: {account.totp_key}\n    {account.otpauth_uri}")
    command = (
        f"NEEDLE_HOME={shlex.quote(str(root))} {shlex.quote(sys.executable)} -m needle_web "
        "demo_code EMAIL"
    )
    click.echo(f"or print the code of the moment with\n  {command}\n")


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
