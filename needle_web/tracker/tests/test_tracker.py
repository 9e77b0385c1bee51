"""The tracker pages: who may open them, what they show, and the reminder emails.

"Today" is fixed through ``views._today`` so that the current period and lateness do not
depend on the clock; the expected statuses and figures are the core's for the same home.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

import needle
from needle.pool.tracking import due_date, submission_tracker
from needle.quality import partner_quality
from needle_web.accounts.roles import Role
from needle_web.accounts.testing import make_account, signed_in_client
from needle_web.audit.actions import AuditAction
from needle_web.audit.models import AuditEvent
from needle_web.dashboards.tests.homes import find, parse, text
from needle_web.submissions.models import Upload
from needle_web.tracker import views
from needle_web.tracker.models import Reminder

# On the path thanks to needle_web.dashboards.tests.homes.
from web.html_tree import attrs, walk  # isort: skip

Q3 = "2025-Q3"
TRACKER = reverse("tracker:submissions")
QUALITY = reverse("tracker:data_quality")


def remind_url(code: str, period: str = Q3) -> str:
    return reverse("tracker:remind", args=[period, code])


@pytest.fixture
def today(monkeypatch) -> date:
    """1 November 2025: 2025-Q3 is the period being collected, and due (28 October) passed."""
    day = date(2025, 11, 1)
    monkeypatch.setattr(views, "_today", lambda: day)
    return day


def having(root, tag: str, name: str) -> list:
    """The ``tag`` elements under ``root`` that have the attribute ``name``."""
    return [e for e in walk(root) if e.name == tag and name in attrs(e)]


def rows(response) -> dict[str, dict]:
    tree = parse(response.content.decode())
    found = {}
    for row in having(tree, "tr", "data-partner"):
        found[attrs(row)["data-partner"]] = {
            "status": attrs(row).get("data-status"),
            "text": text(row),
            "late": bool(having(row, "strong", "data-late")),
            "button": bool(having(row, "button", "type")),
        }
    return found


def core_statuses(home, period: str, today: date) -> dict:
    with needle.open_home(home).open_pool() as pool:
        return {s.code: s for s in submission_tracker(pool, period, due_days=28, today=today)}


# ---- who may see what ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.STEERING_GROUP, Role.FUNDER, Role.PARTNER_SUBMITTER, Role.PARTNER_VIEWER]
)
def test_only_the_backbone_may_use_the_tracker_and_overview(home, role):
    client = signed_in_client(make_account(role))
    assert client.get(TRACKER).status_code == 403
    assert client.get(QUALITY).status_code == 403
    assert client.post(remind_url("ARTS")).status_code == 403
    assert not mail.outbox


@pytest.mark.django_db
def test_visitors_are_sent_to_sign_in(home, client):
    for url in (TRACKER, QUALITY, reverse("tracker:partner_quality", args=["YC"])):
        response = client.get(url)
        assert response.status_code == 302 and "/sign-in/" in response["Location"], url


# ---- the tracker -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_current_period_shows_each_partner_as_the_core_sees_it(home, admin_client, today):
    response = admin_client.get(TRACKER)
    assert response.status_code == 200
    shown = rows(response)
    expected = core_statuses(home, Q3, today)
    assert set(shown) == set(expected) == {"YC", "SPORT", "ARTS"}
    for code, status in expected.items():
        assert shown[code]["status"] == status.status
        assert shown[code]["late"] == status.late
        assert shown[code]["button"] == status.needs_reminder
    assert shown["SPORT"]["status"] == "rejected" and "4 errors" in shown["SPORT"]["text"]
    assert shown["ARTS"]["status"] == "not_submitted" and shown["ARTS"]["late"]
    summary = text(find(parse(response.content.decode()), "dl", id="period-summary"))
    assert Q3 in summary and "28 October 2025" in summary


@pytest.mark.django_db
def test_before_the_due_date_nobody_is_late(home, admin_client, monkeypatch):
    monkeypatch.setattr(views, "_today", lambda: date(2025, 10, 28))
    shown = rows(admin_client.get(TRACKER))
    assert not any(row["late"] for row in shown.values())
    assert shown["ARTS"]["status"] == "not_submitted"


@pytest.mark.django_db
def test_another_period_can_be_chosen(home, admin_client, today):
    shown = rows(admin_client.get(TRACKER, {"period": "2025-Q2"}))
    assert {code: row["status"] for code, row in shown.items()} == {
        "YC": "accepted",
        "SPORT": "accepted",
        "ARTS": "accepted",
    }


@pytest.mark.django_db
def test_an_unknown_period_is_a_clear_error_not_a_crash(home, admin_client, today):
    response = admin_client.get(TRACKER, {"period": "2031-Q9"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Error: Submission tracker" in page
    assert "Choose a reporting period from the list" in text(
        find(parse(page), "div", "govuk-error-summary")
    )
    assert Q3 in text(find(parse(page), "caption"))  # the current period is shown instead


@pytest.mark.django_db
def test_an_upload_waiting_to_be_checked_shows_as_being_checked(home, admin_client, today):
    account = make_account(Role.PARTNER_SUBMITTER, partner_code="ARTS")
    Upload.objects.create(
        account=account, partner_code="ARTS", period=Q3, original_name="arts.xlsx",
        stored_name="x.xlsx", size=10, state=Upload.State.PROCESSING,
    )  # fmt: skip
    shown = rows(admin_client.get(TRACKER))
    assert shown["ARTS"]["status"] == "being_checked"
    assert not shown["ARTS"]["button"]


# ---- reminders -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reminder_goes_to_the_partners_active_submitters_only(home, admin, admin_client, today):
    first = make_account(Role.PARTNER_SUBMITTER, email="a@arts.example.org", partner_code="ARTS")
    second = make_account(Role.PARTNER_SUBMITTER, email="b@arts.example.org", partner_code="ARTS")
    make_account(Role.PARTNER_SUBMITTER, email="c@arts.example.org", partner_code="ARTS",
                 is_active=False)  # fmt: skip
    make_account(Role.PARTNER_VIEWER, email="v@arts.example.org", partner_code="ARTS")
    make_account(Role.PARTNER_SUBMITTER, email="s@sport.example.org", partner_code="SPORT")

    response = admin_client.post(remind_url("ARTS"))

    assert response.status_code == 302
    assert response["Location"] == f"{TRACKER}?period={Q3}"
    assert sorted(m.to for m in mail.outbox) == [[first.email], [second.email]]
    body = mail.outbox[0].body
    assert (
        Q3 in body and "28 October 2025" in body and "https://testserver/submissions/new/" in body
    )
    assert "overdue" in mail.outbox[0].subject
    reminder = Reminder.objects.get()
    assert (reminder.partner_code, reminder.period, reminder.recipients) == ("ARTS", Q3, 2)
    assert reminder.sent_by == admin
    event = AuditEvent.objects.get(action=AuditAction.REMINDER_SENT)
    assert event.actor_account_id == admin.pk
    assert event.details == {"partner_code": "ARTS", "period": Q3, "recipients": 2}

    page = admin_client.get(response["Location"])
    banner = find(parse(page.content.decode()), "div", "govuk-notification-banner")
    assert "Reminder emailed to 2 submitter accounts" in text(banner)
    assert "Reminded on" in rows(page)["ARTS"]["text"]


@pytest.mark.django_db
def test_without_a_submitter_account_nothing_is_sent_and_the_page_says_so(
    home, admin_client, today
):
    make_account(Role.PARTNER_VIEWER, email="v@arts.example.org", partner_code="ARTS")
    page = admin_client.post(remind_url("ARTS"), follow=True)
    assert not mail.outbox and not Reminder.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.REMINDER_SENT).exists()
    banner = find(parse(page.content.decode()), "div", "govuk-notification-banner")
    assert "has no active partner submitter account" in text(banner)


@pytest.mark.django_db
def test_a_partner_with_accepted_data_is_not_reminded(home, admin_client, today):
    make_account(Role.PARTNER_SUBMITTER, email="y@yc.example.org", partner_code="YC")
    page = admin_client.post(remind_url("YC"), follow=True)
    assert not mail.outbox and not Reminder.objects.exists()
    assert "No reminder sent" in page.content.decode()


@pytest.mark.django_db
def test_a_reminder_before_the_due_date_says_when_it_is_due(home, admin_client, monkeypatch):
    monkeypatch.setattr(views, "_today", lambda: date(2025, 10, 2))
    make_account(Role.PARTNER_SUBMITTER, email="a@arts.example.org", partner_code="ARTS")
    admin_client.post(remind_url("ARTS"))
    [message] = mail.outbox
    assert "is due" in message.subject
    assert f"due by {due_date(Q3, 28):%-d %B %Y}" in message.body


@pytest.mark.django_db
def test_reminders_only_by_post_for_known_partners_and_periods(home, admin_client, today):
    assert admin_client.get(remind_url("ARTS")).status_code == 405
    assert admin_client.post(remind_url("NOPE")).status_code == 404
    assert admin_client.post(remind_url("ARTS", "2031-Q1")).status_code == 404
    assert admin_client.post(remind_url("ARTS", "rubbish")).status_code == 404


# ---- data quality ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_overview_shows_the_cores_figures_and_is_audited(home, admin, admin_client):
    response = admin_client.get(QUALITY)
    assert response.status_code == 200
    tree = parse(response.content.decode())
    with needle.open_home(home).open_pool() as pool:
        expected = {q.code: q for q in partner_quality(pool)}
    shown = {attrs(r)["data-partner"]: r for r in having(tree, "tr", "data-partner")}
    assert set(shown) == set(expected)
    for code, quality in expected.items():
        cells = [text(c) for c in walk(shown[code]) if c.name == "td"]
        assert cells[:2] == [str(quality.accepted), str(quality.rejected)]
        share = quality.completeness["ethnicity"]
        assert f"{share.count} of {share.total}" in cells[2]
    assert "Not in the code list (3)" in text(shown["SPORT"])
    event = AuditEvent.objects.get(action=AuditAction.VIEWED_PARTNER_DATA)
    assert event.actor_account_id == admin.pk


@pytest.mark.django_db
def test_the_backbone_may_open_any_partners_page(home, admin_client):
    response = admin_client.get(reverse("tracker:partner_quality", args=["SPORT"]))
    assert response.status_code == 200
    tree = parse(response.content.decode())
    problems = [attrs(r)["data-rule"] for r in having(tree, "tr", "data-rule")]
    assert problems == ["code_unknown", "required"]
    periods = {attrs(r)["data-period"]: text(r) for r in having(tree, "tr", "data-period")}
    assert set(periods) == {"2025-Q1", "2025-Q2", "2025-Q3"}
    event = AuditEvent.objects.get(action=AuditAction.VIEWED_PARTNER_DATA)
    assert event.details == {"page": "partner_quality", "partner_code": "SPORT"}
    assert admin_client.get(reverse("tracker:partner_quality", args=["NOPE"])).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.PARTNER_SUBMITTER, Role.PARTNER_VIEWER])
def test_a_partner_sees_only_its_own_page(home, role):
    client = signed_in_client(make_account(role, partner_code="YC"))
    assert client.get(reverse("tracker:partner_quality", args=["YC"])).status_code == 200
    assert client.get(reverse("tracker:partner_quality", args=["SPORT"])).status_code == 404
    events = AuditEvent.objects.filter(action=AuditAction.VIEWED_PARTNER_DATA)
    assert [e.details["partner_code"] for e in events] == ["YC"]


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.STEERING_GROUP, Role.FUNDER])
def test_the_steering_group_and_funders_see_no_partners_page(home, role):
    client = signed_in_client(make_account(role))
    assert client.get(reverse("tracker:partner_quality", args=["YC"])).status_code == 403
