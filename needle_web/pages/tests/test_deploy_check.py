"""Django's deployment check passes with production settings, with no warnings."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_check_deploy_passes_in_production(tmp_path: Path) -> None:
    env = {  # only these: nothing from the environment the tests run in
        "NEEDLE_HOME": str(tmp_path),
        "NEEDLE_WEB_DEBUG": "0",
        "NEEDLE_WEB_SECRET_KEY": secrets.token_urlsafe(64),
        "NEEDLE_WEB_ALLOWED_HOSTS": "needle.example.org",
    }
    result = subprocess.run(
        [sys.executable, "-m", "needle_web", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues" in output and "WARNING" not in output
    assert not (tmp_path / ".needle-web-secret").exists()  # the given key was used


def test_check_deploy_fails_in_debug_mode(tmp_path: Path) -> None:
    """The test above could not fail if `--deploy` were never run: show that it can."""
    env = {"NEEDLE_HOME": str(tmp_path), "NEEDLE_WEB_DEBUG": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "needle_web", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "security.W018" in result.stderr + result.stdout
