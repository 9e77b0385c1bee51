"""The committed static files: GOV.UK Frontend without what is reserved for government.

Why: the crown, the GOV.UK logotype, the Royal Arms crest and the GDS Transport typeface
may be used only by government services. These tests fail if a rebuild (frontend/) ever
lets one of them into what Needle serves.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
STATIC = REPO / "needle_web" / "static"
CSS = STATIC / "needle_web" / "needle.css"
JS = STATIC / "needle_web" / "govuk-frontend.min.js"
FONT_FILE = re.compile(r"\.(woff2?|ttf|otf|eot)\b", re.IGNORECASE)
RESERVED = re.compile(r"GDS Transport|govuk-crest|crown|royal-arms|govuk-logo", re.IGNORECASE)


def test_stylesheet_uses_the_system_font_and_references_no_file():
    css = CSS.read_text(encoding="utf-8")

    assert "GDS Transport" not in css
    assert "@font-face" not in css
    assert not FONT_FILE.search(css)
    assert "url(" not in css  # no image, font or other file is fetched by the stylesheet
    assert "crest" not in css
    assert 'font-family:system-ui,-apple-system,"Segoe UI",Roboto' in css
    assert ".govuk-error-summary" in css and ".govuk-header" in css  # it is GOV.UK Frontend


def test_static_folder_holds_no_font_and_no_crown():
    files = [p for p in STATIC.rglob("*") if p.is_file()]
    names = sorted(p.relative_to(STATIC).as_posix() for p in files)

    assert {
        "needle_web/LICENSE-govuk-frontend.txt",
        "needle_web/favicon.svg",  # Needle's "N", drawn for Needle: no crown
        "needle_web/govuk-frontend.min.js",
        "needle_web/init.js",
        "needle_web/js-enabled.js",
        "needle_web/needle.css",
    } <= set(names)
    # Apps add their own scripts and styles; never a font or a raster image (the crown
    # and crest are PNGs in GOV.UK Frontend's assets).
    assert {p.suffix for p in files} <= {".css", ".js", ".svg", ".txt"}, names
    for path in files:
        assert not RESERVED.search(path.name)


def test_javascript_is_govuk_frontend_5_and_licences_are_recorded():
    version = re.match(r'const version="(\d+)\.', JS.read_text(encoding="utf-8"))
    assert version and version.group(1) == "5"
    lock = json.loads((REPO / "frontend" / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"]["node_modules/govuk-frontend"]["version"].startswith("5.")
    licence = (STATIC / "needle_web" / "LICENSE-govuk-frontend.txt").read_text(encoding="utf-8")
    assert "The MIT License" in licence and "Government Digital Service" in licence
    axe_licence = (REPO / "tests" / "web" / "vendor" / "LICENSE-axe-core.txt").read_text()
    assert "Mozilla Public License" in axe_licence
