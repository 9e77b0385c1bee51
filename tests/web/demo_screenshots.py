"""Screenshots of the main pages of the served demo, for docs/screenshots/.

Why from the demo: its synthetic initiative has twelve partners and two years of data, so
the pages look as they will for a real initiative. Run `./bin/demo` in one terminal, then:

    .venv/bin/python tests/web/demo_screenshots.py http://127.0.0.1:8000 needle-demo/home

It signs in as the demo's accounts (backbone codes from `python -m needle_web demo_code`),
sends one messy file from the synthetic initiative through the upload page, and writes
demo-*.png (desktop width, whole page).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "docs" / "screenshots"
PASSWORD = "needle-demo-passphrase"
DOMAIN = "demo.example.org"


def _code(home: Path, email: str) -> str:
    env = {**os.environ, "NEEDLE_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "needle_web", "demo_code", email],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().split()[-1]


def _sign_in(page: Page, base: str, home: Path, email: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/sign-in/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if "/two-factor/" in page.url:
        page.get_by_label("Code").fill(_code(home, email))
        page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state("networkidle")


def _shot(page: Page, base: str, path: str, name: str) -> None:
    page.goto(f"{base}{path}")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=OUT / f"demo-{name}.png", full_page=True)
    print(f"demo-{name}.png  {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", help="the served demo, e.g. http://127.0.0.1:8000")
    parser.add_argument("home", type=Path, help="the demo's home folder")
    parser.add_argument("--partner", default="TYC", help="the partner of the demo's submitter")
    args = parser.parse_args()
    base, home, partner = args.base.rstrip("/"), args.home.resolve(), args.partner
    # One of the synthetic initiative's messy workbooks (another partner's planted problems
    # read the same whoever sends them), sent for its own period.
    messy = sorted((home.parent / "initiative").rglob("*_messy.xlsx"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium")
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        _shot(page, base, "/public/", "public")
        if messy:
            _sign_in(page, base, home, f"submitter-{partner.lower()}@{DOMAIN}")
            page.goto(f"{base}/submissions/new/")
            page.get_by_label("Reporting period").select_option(messy[0].stem.split("_")[1])
            with page.expect_file_chooser() as chooser:
                page.get_by_role("button", name="Your data file").click()
            chooser.value.set_files(str(messy[0]))
            page.get_by_role("button", name="Send").click()
            page.wait_for_selector(".govuk-error-summary, .govuk-panel", timeout=120_000)
            page.screenshot(path=OUT / "demo-validation-report.png", full_page=True)
            print("demo-validation-report.png")
            _shot(page, base, "/submissions/", "submissions")
            _shot(page, base, "/feedback/", "feedback")
            _shot(page, base, f"/backbone/data-quality/{partner}/", "partner-data-quality")
        _sign_in(page, base, home, f"backbone-admin@{DOMAIN}")
        for path, name in [
            ("/dashboard/", "dashboard"),
            ("/backbone/submissions/", "tracker"),
            ("/backbone/data-quality/", "data-quality"),
            ("/dashboard/equity/", "equity"),
            ("/dashboard/map/", "map"),
            ("/initiative/", "initiative-settings"),
            ("/initiative/thresholds/", "thresholds"),
        ]:
            _shot(page, base, path, name)
        _sign_in(page, base, home, f"steering-group@{DOMAIN}")
        _shot(page, base, "/steering/", "steering-group")
        browser.close()


if __name__ == "__main__":
    main()
