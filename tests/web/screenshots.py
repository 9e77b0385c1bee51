"""Screenshots of the look's test page at desktop and phone widths, for docs/screenshots/.

Why a script and not a test: pictures are for people reading the docs; the tests check
the same page with assertions. Run from the repository root, after `apt-get install
chromium`:

    .venv/bin/python tests/web/screenshots.py            # writes docs/screenshots/look-*.png

It serves tests/web/urls_look.py with the project's settings (HTTPS redirect off, since
this server speaks plain HTTP on loopback) and Django's static files handler.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CHROMIUM = os.environ.get("NEEDLE_CHROMIUM", "/usr/bin/chromium")

# (file name, path on the test page, viewport, whole page or first screen only)
SHOTS = [
    ("look-desktop.png", "/look/", {"width": 1280, "height": 900}, False),
    ("look-phone.png", "/look/", {"width": 375, "height": 812}, True),
    ("look-success-desktop.png", "/look/?valid&message", {"width": 1280, "height": 700}, False),
]


class QuietHandler(WSGIRequestHandler):
    """No access log on the terminal: the script reports the files it wrote instead."""

    def log_message(self, format: str, *args: object) -> None:
        pass


def take_screenshots(out: Path) -> list[Path]:
    """Serve the test page on a free loopback port and photograph it in Chromium."""
    sys.path.insert(0, str(HERE.parent))  # makes web.urls_look importable, as in pytest
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "needle_web.settings")
    import django

    django.setup()
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.wsgi import get_wsgi_application
    from django.test.utils import override_settings
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with override_settings(ROOT_URLCONF="web.urls_look", SECURE_SSL_REDIRECT=False):
        server = make_server(
            "127.0.0.1", 0, StaticFilesHandler(get_wsgi_application()), handler_class=QuietHandler
        )
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://localhost:{server.server_port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
                for name, path, viewport, full_page in SHOTS:
                    page = browser.new_page(viewport=viewport, locale="en-GB")
                    page.goto(base + path)
                    page.wait_for_selector("[data-govuk-skip-link-init]")
                    page.screenshot(path=out / name, full_page=full_page)
                    page.close()
                    written.append(out / name)
                browser.close()
        finally:
            server.shutdown()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    for path in take_screenshots(parser.parse_args().out):
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
