"""`needle serve`: a real server process, spoken to over plain HTTP as a browser would.

Each server runs `needle serve` in a subprocess against a fresh initiative home, on a port
the system chooses (`--port 0`, read back from the printed URL), with an environment that
holds nothing from the one the tests run in. The server starts the background worker as
its own child process, which these tests watch by its printed process id.

``start_server``, ``Browser`` and ``web_command`` are also used by the served-demo test and
the browser journey (tests/web/test_journey.py).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

import pytest

from needle.errors import NeedleInputError
from needle.initiative import InitiativeConfig, PartnerConfig, PeriodsConfig, init_home

ROOT = Path(__file__).resolve().parents[2]
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "a long test passphrase 42"
START_TIMEOUT = 90  # seconds for the server to apply its migrations and listen
SERVE = [sys.executable, "-m", "needle.cli", "serve"]
WORKER_STARTED = re.compile(r"Background worker started \(process (\d+)\)")


def _make_home(folder: Path, *, reference: bool = False) -> Path:
    """A home with partner YC; with ``reference``, the postcode look-ups a submission needs."""
    config = InitiativeConfig(
        name="Serve Test Collective",
        area=("E08000009",),
        periods=PeriodsConfig(first="2025-Q1"),
        partners=(PartnerConfig("YC", "Youth Club"),),
    )
    return init_home(folder, config, reference=reference).home.root


def web_command(home: Path, *args: str) -> str:
    """``python -m needle_web ARGS`` on ``home``'s web database (as the server has it)."""
    done = subprocess.run(
        [sys.executable, "-m", "needle_web", *args],
        cwd=ROOT,
        env={"NEEDLE_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def worker_pids(self) -> list[int]:
        """The background worker's process ids, in the order they were started."""
        return [int(pid) for pid in WORKER_STARTED.findall(self.output)]

    def wait_for(self, pattern: str, timeout: float = 30) -> re.Match[str]:
        """The first match of ``pattern`` in the output, waiting for it to be printed."""
        deadline = time.monotonic() + timeout
        while not (found := re.search(pattern, self.output)):
            if time.monotonic() > deadline:
                pytest.fail(f"needle serve never printed {pattern!r}:\n{self.output}")
            time.sleep(0.1)
        return found

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
            raise


def start_server(home: Path, *options: str) -> Server:
    """Start `needle serve` and return once it answers /healthz (or fail with its output)."""
    return watch_server([*SERVE, "--home", str(home), "--port", "0", *options])


def watch_server(
    command: list[str], *, env: dict[str, str] | None = None, timeout: float = START_TIMEOUT
) -> Server:
    """Run ``command``, which ends by serving, and return once the app answers /healthz."""
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env or {},  # by default nothing from the environment the tests run in
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    server = Server(process)
    arrived: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            server.lines.append(line)
            arrived.put(line)
        arrived.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    try:
        while not server.url:
            line = arrived.get(timeout=max(deadline - time.monotonic(), 0.1))
            if line is None:
                pytest.fail(f"needle serve exited before serving:\n{server.output}")
            if found := re.search(r"Serving on (http://\S+?)/? ", line):
                server.url = found.group(1)
        while True:  # listening already; wait until the app answers
            try:
                if Browser(server.url).get("/healthz").status == 200:
                    return server
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"needle serve did not answer /healthz:\n{server.output}")
            time.sleep(0.2)
    except BaseException:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)
        raise


@dataclass
class Response:
    status: int
    headers: Message
    text: str

    def cookies(self) -> dict[str, list[str]]:
        """Each cookie set by this response: its attributes, in lower case."""
        found = {}
        for header in self.headers.get_all("Set-Cookie") or []:
            first, *attributes = (part.strip() for part in header.split(";"))
            found[first.split("=", 1)[0]] = [a.lower() for a in attributes]
        return found


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # each test follows redirects itself, to see where they go


class Browser:
    """A cookie jar and no automatic redirects. The jar keeps the standard rule that a
    Secure cookie never goes back over plain HTTP, as browsers do."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),  # loopback: never through a proxy
            urllib.request.HTTPCookieProcessor(self.jar),
            _NoRedirects(),
        )

    def get(self, path: str) -> Response:
        return self._open(urllib.request.Request(urllib.parse.urljoin(self.base, path)))

    def post(self, path: str, data: dict[str, str]) -> Response:
        request = urllib.request.Request(
            urllib.parse.urljoin(self.base, path),
            data=urllib.parse.urlencode(data).encode(),
            headers={"Origin": self.base},
        )
        return self._open(request)

    def _open(self, request: urllib.request.Request) -> Response:
        try:
            with self.opener.open(request, timeout=30) as response:
                return Response(response.status, response.headers, response.read().decode())
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx and 5xx
            with error:
                return Response(error.code, error.headers, error.read().decode())


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found, "the form has no CSRF token"
    return found.group(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the HTTP tests, with a backbone admin created while it runs."""
    home = _make_home(tmp_path_factory.mktemp("serve") / "home")
    running = start_server(home)
    try:
        created = subprocess.run(
            [sys.executable, "-m", "needle_web", "create_backbone_admin", "--email", ADMIN_EMAIL],
            cwd=ROOT,
            env={"NEEDLE_HOME": str(home), "NEEDLE_WEB_ADMIN_PASSWORD": ADMIN_PASSWORD},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert created.returncode == 0, created.stdout + created.stderr
        yield running
    finally:
        running.stop()


def test_it_says_where_it_serves_and_how_to_stop(server: Server) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.url)
    assert "Press Ctrl+C to stop." in server.output
    assert "needle-web.sqlite" in server.output  # the web app's database, in the home


def test_health_check(server: Server) -> None:
    response = Browser(server.url).get("/healthz")
    assert (response.status, response.text) == (200, "ok\n")


def test_pages_are_served_over_plain_http_and_lead_to_sign_in(server: Server) -> None:
    browser = Browser(server.url)
    home = browser.get("/")  # without local mode: 301 to https://
    assert home.status == 200, (home.status, home.headers["Location"])
    assert re.search(r'href="/sign-in/[^"]*"', home.text)  # the way in, for visitors
    response = browser.get("/accounts/")  # a page that needs an account
    assert response.status == 302, response.status
    target = urllib.parse.urljoin(server.url, response.headers["Location"])
    assert target.startswith(f"{server.url}/sign-in/?next="), target
    page = browser.get(target)
    assert page.status == 200 and "Sign in to Needle" in page.text


def test_the_stylesheet_is_served_by_the_app(server: Server) -> None:
    browser = Browser(server.url)
    page = browser.get("/sign-in/").text
    hrefs = re.findall(r'<link rel="stylesheet" href="([^"]+\.css)"', page)
    assert hrefs, "the page links no stylesheet"
    for href in hrefs:
        css = browser.get(href)
        assert css.status == 200, href
        assert css.headers.get_content_type() == "text/css"
        assert "{" in css.text  # a stylesheet, not an error page


def test_sign_in_cookies_work_over_http_and_the_headers_stay(server: Server) -> None:
    browser = Browser(server.url)
    form = browser.get("/sign-in/")
    assert form.status == 200
    csrf = form.cookies()["csrftoken"]
    assert "secure" not in csrf and "httponly" in csrf and "samesite=lax" in csrf
    # Local mode relaxes only what plain HTTP breaks: the other protections are there.
    policy = form.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert form.headers["X-Frame-Options"] == "DENY"
    assert form.headers["X-Content-Type-Options"] == "nosniff"
    assert form.headers["Referrer-Policy"] == "same-origin"


def test_csrf_is_still_checked(server: Server) -> None:
    browser = Browser(server.url)
    browser.get("/sign-in/")  # the CSRF cookie, but no token in the form
    response = browser.post("/sign-in/", {"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status == 403


def test_backbone_admin_signs_in_over_http_and_must_set_up_two_factor(server: Server) -> None:
    browser = Browser(server.url)
    token = csrf_token(browser.get("/sign-in/").text)
    response = browser.post(
        "/sign-in/",
        {"csrfmiddlewaretoken": token, "username": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
    )
    assert response.status == 302, response.text  # 200 would be the form with an error
    session = response.cookies()["sessionid"]
    assert "secure" not in session and "httponly" in session and "samesite=lax" in session
    # The session cookie goes back over http (a Secure one would not), and the account is
    # signed in but not verified: every page sends it to set up two-factor sign-in.
    location = response.headers["Location"]
    for _ in range(3):
        if "/two-factor/" in location:
            break
        assert not location.startswith("https:"), location
        location = browser.get(location).headers["Location"]
    assert urllib.parse.urljoin(server.url, location).startswith(f"{server.url}/two-factor/")
    setup = browser.get(location)
    assert setup.status == 200
    assert "Set up two-factor sign-in" in setup.text


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_it_stops_cleanly_with_its_worker(tmp_path: Path, signum: int) -> None:
    running = start_server(_make_home(tmp_path / "home"))
    [worker] = running.worker_pids() or [int(running.wait_for(WORKER_STARTED.pattern)[1])]
    assert _alive(worker)
    assert running.stop(signum) == 0, running.output
    assert "Stopped." in running.output
    assert "Traceback" not in running.output
    assert not _alive(worker)  # stopped with the server, not left behind


# ---- the background worker ----------------------------------------------------------------

# Runs in the web app's own process on the served home: a submitter of YC, and a workbook
# sent through the service, which queues its check in the database for a worker.
_SEND = """
from django.core.files.uploadedfile import SimpleUploadedFile
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import PASSWORD, make_account
from needle_web.submissions import services
account = make_account(Role.PARTNER_SUBMITTER, email={email!r}, partner_code="YC")
upload = services.upload_create(account=account, period="2025-Q1",
    file=SimpleUploadedFile("youth-club.xlsx", open({path!r}, "rb").read()))
print("UPLOAD", upload.pk, upload.state, PASSWORD)
"""


def _signed_in(url: str, email: str, password: str) -> Browser:
    browser = Browser(url)
    token = csrf_token(browser.get("/sign-in/").text)
    response = browser.post(
        "/sign-in/", {"csrfmiddlewaretoken": token, "username": email, "password": password}
    )
    assert response.status == 302, response.text
    return browser


@pytest.mark.slow
def test_the_served_app_checks_a_file_sent_to_it(tmp_path: Path) -> None:
    """No separate worker: the file is decided by the one `needle serve` started."""
    if str(ROOT / "tests") not in sys.path:  # the core's test builders
        sys.path.insert(0, str(ROOT / "tests"))
    from submission_builders import clean_rows, write_workbook

    home = _make_home(tmp_path / "home", reference=True)
    workbook = write_workbook(tmp_path / "youth-club.xlsx", clean_rows())
    running = start_server(home)
    try:
        email = "sam@youthclub.example.org"
        sent = web_command(home, "shell", "-c", _SEND.format(email=email, path=str(workbook)))
        upload, state, password = sent.split("UPLOAD ", 1)[1].split(" ", 2)
        assert state == "queued"
        browser = _signed_in(running.url, email, password.strip())
        deadline = time.monotonic() + 60
        while (status := json.loads(browser.get(f"/submissions/{upload}/status/").text))[
            "state"
        ] in ("queued", "processing"):
            assert time.monotonic() < deadline, f"still {status} after a minute"
            time.sleep(0.3)
        assert status["state"] == "accepted", status
    finally:
        running.stop()
    assert "Traceback" not in running.output


@pytest.mark.slow
def test_a_worker_that_dies_is_started_again(tmp_path: Path) -> None:
    running = start_server(_make_home(tmp_path / "home"))
    try:
        first = int(running.wait_for(WORKER_STARTED.pattern)[1])
        os.kill(first, signal.SIGKILL)
        running.wait_for("stopped unexpectedly")
        second = int(running.wait_for(rf"process (?!{first}\))(\d+)\)")[1])
        assert second != first and _alive(second)
        assert Browser(running.url).get("/healthz").status == 200  # the server carried on
    finally:
        running.stop()
    assert not _alive(second)


@pytest.mark.slow
def test_no_worker_leaves_it_to_another_process(tmp_path: Path) -> None:
    running = start_server(_make_home(tmp_path / "home"), "--no-worker")
    running.stop()
    assert "Background worker not started (--no-worker)" in running.output
    assert "db_worker" in running.output  # says how to run it instead
    assert not running.worker_pids()


# ---- the port ---------------------------------------------------------------------------


def _busy_port() -> socket.socket:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    return taken


def _app(environ: object, start_response: object) -> list[bytes]:  # pragma: no cover
    return []


def test_without_a_port_the_next_free_one_is_used() -> None:
    from needle_web.cli import _listen

    with _busy_port() as taken:
        port = taken.getsockname()[1]
        server = _listen(_app, host="127.0.0.1", port=port, threads=1, tries=5)
        try:
            assert port < int(server.effective_port) <= port + 4
        finally:
            server.close()


def test_a_chosen_port_in_use_is_refused_with_a_way_out() -> None:
    from needle_web.cli import _listen

    with _busy_port() as taken:
        port = taken.getsockname()[1]
        with pytest.raises(NeedleInputError, match=rf"{port}: .*Choose another with --port"):
            _listen(_app, host="127.0.0.1", port=port, threads=1, tries=1)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "needle.example.org"])
def test_a_host_other_machines_can_reach_is_refused(tmp_path: Path, host: str) -> None:
    home = _make_home(tmp_path / "home")
    result = subprocess.run(
        [*SERVE, "--home", str(home), "--host", host],
        cwd=ROOT,
        env={},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "loopback" in result.stderr and "HTTPS" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (home / "needle-web.sqlite").exists()  # refused before anything was done


def test_a_folder_that_is_not_a_home_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [*SERVE, "--home", str(tmp_path)],
        cwd=ROOT,
        env={},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{tmp_path} is not a Needle home" in result.stderr
    assert "needle init" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "needle-web.sqlite").exists()


def test_a_loopback_address_the_app_does_not_answer_to_is_refused(tmp_path: Path) -> None:
    result = subprocess.run(
        [*SERVE, "--home", str(_make_home(tmp_path / "home")), "--host", "127.0.0.2"],
        cwd=ROOT,
        env={"NEEDLE_WEB_ALLOWED_HOSTS": "localhost,127.0.0.1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "does not name 127.0.0.2" in result.stderr and "Traceback" not in result.stderr
