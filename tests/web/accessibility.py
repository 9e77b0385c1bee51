"""Accessibility checks with axe-core, run inside the page under test.

Why axe in the browser: it judges the rendered page (computed colours, focusable
elements, ARIA as the browser exposes it), which no check on template source can do.
axe-core is vendored in tests/web/vendor (MPL-2.0, see LICENSE-axe-core.txt) so the
tests need no network; frontend/ rebuilds it from the npm lock file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe.min.js"

# WCAG 2.2 AA, as the issue asks: every A and AA rule of 2.0, 2.1 and 2.2.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now and return its violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol rather than added as a <script>, which
        # the app's Content-Security-Policy rightly blocks: the page is tested as served.
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        list(WCAG_TAGS),
    )
    return result["violations"]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One readable paragraph per broken rule: id, impact, where, and how to fix it."""
    lines = []
    for violation in violations:
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"  {violation['helpUrl']}"
        )
        for node in violation["nodes"]:
            lines.append(f"  - {' '.join(str(target) for target in node['target'])}")
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    """Fail with every axe-core violation of WCAG 2.2 AA on the page, if there is any."""
    violations = axe_violations(page)
    if violations:
        raise AssertionError(
            f"axe-core found {len(violations)} accessibility violation(s) on {page.url}:\n"
            + describe_violations(violations)
        )
