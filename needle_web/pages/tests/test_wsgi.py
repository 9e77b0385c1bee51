"""The WSGI application a server such as gunicorn loads answers requests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SCRIPT = """
import io, wsgiref.util
from needle_web.wsgi import application
environ = {"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET", "wsgi.url_scheme": "https",
           "HTTP_HOST": "needle.example.org", "wsgi.input": io.BytesIO()}
wsgiref.util.setup_testing_defaults(environ)
environ["HTTP_HOST"] = "needle.example.org"
status = []
body = b"".join(application(environ, lambda s, h: status.append(s)))
print(status[0], body.decode().strip())
"""


def test_wsgi_application_serves_the_health_check(tmp_path: Path) -> None:
    env = {  # only these: nothing from the environment the tests run in
        "NEEDLE_HOME": str(tmp_path),
        "NEEDLE_WEB_ALLOWED_HOSTS": "needle.example.org",
        "DJANGO_SETTINGS_MODULE": "does.not.exist",  # ignored: the settings are given directly
    }
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "200 OK ok"
    assert (tmp_path / ".needle-web-secret").exists()  # no key given: one was generated
