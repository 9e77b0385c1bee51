"""Browser visits of the linkage pages (merged into test_pages_accessible.VISITS).

Each visit runs on a fresh initiative home holding the linkage engine's hand-made young
people (needle_web/linkage/tests/homes.py), linked once by the core so that the review
queue holds one pair (twins), served as the app's ``HOME``, signed in as a backbone admin.
The pages are also checked before any linkage run, after a decision with its banner,
after a stale decision with its error, and with the queue emptied by the next run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from django.test import override_settings
from django.urls import reverse
from web.site import Site, admin_site

from needle.initiative import open_home
from needle.linkage import decide_pair, link, link_status, review_queue
from needle.linkage.store import decisions
from needle_web.linkage.tests.homes import linked_home, unlinked_home


def _admin_on_a_linked_home(visit: Callable[[Site, Path], None]) -> Callable[[Site], None]:
    @wraps(visit)
    def wrapped(site: Site) -> None:
        with tempfile.TemporaryDirectory() as folder:
            root = linked_home(Path(folder) / "home")
            with override_settings(HOME=root):
                admin_site(site)
                visit(site, root)

    return wrapped


def _path(site: Site) -> str:
    return urlsplit(site.page.url).path


@_admin_on_a_linked_home
def visit_quality(site: Site, root: Path) -> None:
    site.open(reverse("pages:home"))
    site.page.get_by_role("link", name="Linkage", exact=True).click()
    site.settle()
    assert _path(site) == reverse("linkage:quality")
    assert site.page.locator("#sizes tbody tr").count() == len(link_status(root)["cluster_sizes"])
    site.check("Linkage")
    with (
        tempfile.TemporaryDirectory() as folder,
        override_settings(HOME=unlinked_home(Path(folder) / "home")),
    ):
        site.open(reverse("linkage:quality"))
        assert site.page.locator("#not-linked").count() == 1
        site.check("Linkage")
        site.open(reverse("linkage:review"))
        assert site.page.locator("#not-linked").count() == 1
        site.check("Review uncertain pairs")


@_admin_on_a_linked_home
def visit_review(site: Site, root: Path) -> None:
    site.open(reverse("linkage:quality"))
    site.page.get_by_role("link", name="Review the uncertain pairs").click()
    site.settle()
    assert _path(site) == reverse("linkage:review")
    assert site.page.locator(".govuk-summary-card").count() == review_queue(root).height == 1
    site.check("Review uncertain pairs")


@_admin_on_a_linked_home
def visit_decide(site: Site, root: Path) -> None:
    pair = review_queue(root)["pair_id"][0]
    site.open(reverse("linkage:review"))
    site.press(f"Confirm pair {pair} as the same young person")
    assert _path(site) == reverse("linkage:review")
    site.check("Review uncertain pairs", banner=f"Pair {pair} confirmed")
    assert decisions(root)["decision"].to_list() == ["confirmed"]
    # A stale page: someone else rejected the pair and the next run took it off the queue.
    decide_pair(root, pair, "rejected", by="someone else")
    link(open_home(root))
    site.press(f"Reject pair {pair} as different young people")
    site.check("Review uncertain pairs", errors=True)
    assert "not waiting for review" in site.page.locator(".govuk-error-summary").inner_text()
    site.open(reverse("linkage:review"))
    assert site.page.locator("#empty-queue").count() == 1
    site.check("Review uncertain pairs")


@_admin_on_a_linked_home
def visit_run(site: Site, root: Path) -> None:
    decide_pair(root, review_queue(root)["pair_id"][0], "confirmed", by="analyst")
    site.open(reverse("linkage:quality"))
    site.press("Link and refresh now")
    assert _path(site) == reverse("linkage:quality")
    site.check("Linkage", banner="are queued")
    assert link_status(root)["merges"] == 1  # the tests' tasks run when queued


VISITS: dict[str, Callable[[Site], None]] = {
    "linkage:quality": visit_quality,
    "linkage:review": visit_review,
    "linkage:decide": visit_decide,
    "linkage:run": visit_run,
}
