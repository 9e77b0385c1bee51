"""`needle serve`: a real server process, spoken to over plain HTTP as a browser would.

Each server runs `needle serve` in a subprocess against a fresh initiative home, on a port
the system chooses (`--port 0`, read back from the printed URL), with an environment that
holds nothing from the one the tests run in.
"""

from __future__ import annotations

import http.cookiejar
import queue
import re
import signal
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

from needle.initiative import InitiativeConfig, PeriodsConfig, init_home

ROOT = Path(__file__).resolve().parents[2]
ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "a long test passphrase 42"
START_TIMEOUT = 90  # seconds for the server to apply its migrations and listen
SERVE = [sys.executable, "-m", "needle.cli", "serve"]


def _make_home(folder: Path) -> Path:
    config = InitiativeConfig(
        name="Serve Test Collective", area=("E08000009",), periods=PeriodsConfig(first="2025-Q1")
    )
    return init_home(folder, config, reference=False).home.root


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str = ""
    lines: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def stop(self, signum: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)
            raise


def _start(home: Path, *options: str) -> Server:
    """Start `needle serve` and return once it answers /healthz (or fail with its output)."""
    process = subprocess.Popen(
        [*SERVE, "--home", str(home), "--port", "0", *options],
        cwd=ROOT,
        env={},  # nothing from the environment the tests run in
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
    deadline = time.monotonic() + START_TIMEOUT
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


def _csrf_token(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found, "the form has no CSRF token"
    return found.group(1)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the HTTP tests, with a backbone admin created while it runs."""
    home = _make_home(tmp_path_factory.mktemp("serve") / "home")
    running = _start(home)
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
    token = _csrf_token(browser.get("/sign-in/").text)
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
def test_it_stops_cleanly(tmp_path: Path, signum: int) -> None:
    running = _start(_make_home(tmp_path / "home"))
    assert running.stop(signum) == 0, running.output
    assert "Stopped." in running.output
    assert "Traceback" not in running.output


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
