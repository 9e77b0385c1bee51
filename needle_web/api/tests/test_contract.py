"""The API keeps its OpenAPI contract: schemathesis generates requests for every operation
from the schema the live server publishes, and checks each answer against it.

The server is the real thing: gunicorn serving ``needle_web.wsgi:application`` in a
subprocess on a free loopback port, in local mode, over a temporary initiative home with
computed indicators (and the web app's own SQLite file inside it), with a partner token
made by the ``api_token_create`` command.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from needle_web.dashboards.tests.homes import home_with_results

ROOT = Path(__file__).resolve().parents[3]
ADMIN = "admin@backbone.example.org"
START_TIMEOUT = 60
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _commands(env: dict[str, str], *commands: list[str]) -> str:
    """Run ``python -m needle_web`` commands in one process (each interpreter start costs
    seconds); returns what they printed."""
    script = "from needle_web.__main__ import main\n" + "".join(
        f"main({command!r})\n" for command in commands
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _wait_until_up(url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = server.stdout.read() if server.stdout else ""
            pytest.fail(f"gunicorn exited before serving:\n{output}")
        try:
            with opener.open(url + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail("gunicorn did not answer /healthz in time")


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The base URL of a live server and a partner token for YC."""
    home = home_with_results(tmp_path_factory.mktemp("contract") / "home")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "NEEDLE_HOME": str(home),
        "NEEDLE_WEB_LOCAL_HTTP": "1",
        "NEEDLE_WEB_ALLOWED_HOSTS": "127.0.0.1",
    }
    printed = _commands(
        {**env, "NEEDLE_WEB_ADMIN_PASSWORD": "a long test passphrase 42"},
        ["migrate", "--no-input", "--verbosity", "0"],
        ["create_backbone_admin", "--email", ADMIN],
        ["api_token_create", "--partner", "YC", "--name", "contract", "--by", ADMIN],
    )
    token = printed.strip().splitlines()[-1]
    assert token.startswith("needle_"), printed
    url = f"http://127.0.0.1:{_free_port()}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", url.removeprefix("http://"),
         "--workers", "1", "--threads", "4", "needle_web.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    try:
        _wait_until_up(url, server)
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


@pytest.fixture(scope="module")
def api_schema(live_api: tuple[str, str]) -> schemathesis.BaseSchema:
    url, _ = live_api
    return schemathesis.openapi.from_url(f"{url}/api/openapi.json")


OPERATIONS = [
    ("GET", "/api/submissions/"),
    ("POST", "/api/submissions/"),
    ("GET", "/api/submissions/{upload_id}/"),
    ("GET", "/api/indicators/"),
    ("GET", "/api/indicators/{indicator_id}/"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_operation_keeps_the_contract(api_schema, live_api, method, path):
    """Requests generated from the live schema (hypothesis, through schemathesis's
    strategies: schemathesis's own pytest loader does not run under pytest 9)."""
    _, token = live_api
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def keeps_the_contract(case: schemathesis.Case) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    keeps_the_contract()


@pytest.mark.slow
def test_the_live_schema_covers_every_operation(api_schema):
    """The parametrised test above leaves out no operation the server publishes."""
    operations = {
        (result.ok().method.upper(), result.ok().path) for result in api_schema.get_all_operations()
    }
    assert operations == set(OPERATIONS)
