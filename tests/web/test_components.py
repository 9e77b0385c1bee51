"""The GOV.UK component templates and base.html, rendered by Django without a browser.

These pin the markup contracts that GOV.UK Frontend's CSS and JavaScript and assistive
technology rely on: ids, aria-describedby, roles, classes, and that nothing is echoed
that should not be (passwords) or unescaped (user input).
"""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.template.loader import render_to_string
from web.html_tree import attrs, classes, find, find_all, parse, text, walk
from web.look_form import INVALID_DATA, LookForm


def render(template: str, **context) -> str:
    return render_to_string(template, context)


def invalid_form() -> LookForm:
    form = LookForm(INVALID_DATA)
    assert not form.is_valid()
    return form


# ---- field.html --------------------------------------------------------------------------


def test_text_field_with_hint_and_error_ties_them_to_the_input():
    tree = parse(render("govuk/field.html", field=invalid_form()["email"]))

    group = find(tree, "div", "govuk-form-group")
    assert "govuk-form-group--error" in classes(group)
    assert attrs(find(tree, "label", "govuk-label"))["for"] == "id_email"
    assert text(find(tree, "div", "govuk-hint", id="id_email-hint")).startswith("We will send")
    error = find(tree, "p", "govuk-error-message", id="id_email-error")
    assert text(error) == (
        "Error: Enter an email address in the correct format, like name@example.com"
    )
    field = attrs(find(tree, "input", id="id_email"))
    assert field["aria-describedby"] == "id_email-hint id_email-error"
    assert field["type"] == "email"
    assert field["name"] == "email"
    assert field["value"] == "not-an-email"  # what the person typed comes back to fix
    assert field["autocomplete"] == "email"  # the widget's own attributes are kept
    assert field["spellcheck"] == "false"
    assert set(field["class"].split()) == {"govuk-input", "govuk-input--error"}


def test_valid_field_without_hint_has_no_error_markup_and_no_describedby():
    form = LookForm({**INVALID_DATA, "email": "sam@example.org"})
    tree = parse(render("govuk/field.html", field=form["password"], size="m"))

    assert "govuk-form-group--error" not in classes(find(tree, "div", "govuk-form-group"))
    assert find_all(tree, "p", "govuk-error-message") == []
    assert "govuk-label--m" in classes(find(tree, "label"))
    field = attrs(find(tree, "input", id="id_password"))
    assert "aria-describedby" not in field
    assert field["class"] == "govuk-input"


def test_password_is_never_echoed_back():
    html = render("govuk/field.html", field=invalid_form()["password"])

    assert "value" not in attrs(find(parse(html), "input", id="id_password"))
    assert INVALID_DATA["password"] not in html


def test_select_marks_the_chosen_option_and_its_error():
    form = LookForm({**INVALID_DATA, "organisation": "sale-sports"})
    tree = parse(render("govuk/field.html", field=form["organisation"]))
    options = find_all(tree, "option")
    assert [attrs(o)["value"] for o in options] == ["", "altrincham-youth", "sale-sports"]
    assert [("selected" in attrs(o)) for o in options] == [False, False, True]

    tree = parse(render("govuk/field.html", field=invalid_form()["organisation"]))
    select = attrs(find(tree, "select", id="id_organisation"))
    assert select["class"] == "govuk-select govuk-select--error"
    assert select["aria-describedby"] == "id_organisation-error"


def test_radios_are_a_fieldset_with_a_legend_and_one_id_per_radio():
    tree = parse(render("govuk/field.html", field=invalid_form()["role"]))

    fieldset = find(tree, "fieldset", "govuk-fieldset")
    assert attrs(fieldset)["aria-describedby"] == "id_role-error"
    assert text(find(fieldset, "legend")) == "Role"
    radios = find_all(tree, "input", "govuk-radios__input")
    assert [attrs(r)["id"] for r in radios] == ["id_role_0", "id_role_1"]
    assert {attrs(r)["name"] for r in radios} == {"role"}
    labels = find_all(tree, "label", "govuk-radios__label")
    assert [(attrs(lab)["for"], text(lab)) for lab in labels] == [
        ("id_role_0", "Partner submitter"),
        ("id_role_1", "Partner viewer"),
    ]

    chosen = parse(render("govuk/field.html", field=LookForm({"role": "viewer"})["role"]))
    assert ["checked" in attrs(r) for r in find_all(chosen, "input", "govuk-radios__input")] == [
        False,
        True,
    ]


def test_textarea_keeps_and_escapes_what_was_typed():
    form = LookForm({**INVALID_DATA, "notes": '</textarea><script>alert("x")</script>'})
    html = render("govuk/field.html", field=form["notes"])

    assert "<script>" not in html
    textarea = find(parse(html), "textarea", "govuk-textarea", id="id_notes")
    assert attrs(textarea)["rows"] == "3"
    assert text(textarea) == '</textarea><script>alert("x")</script>'


def test_typed_values_are_escaped_in_attributes():
    html = render("govuk/field.html", field=LookForm({"email": '"><b>bold'})["email"])

    assert "<b>" not in html
    assert attrs(find(parse(html), "input", id="id_email"))["value"] == '"><b>bold'


def test_a_widget_it_does_not_know_falls_back_to_django_rendering():
    class AgreeForm(forms.Form):
        agree = forms.BooleanField(label="I agree")

    tree = parse(render("govuk/field.html", field=AgreeForm()["agree"]))

    assert attrs(find(tree, "input", id="id_agree"))["type"] == "checkbox"
    assert attrs(find(tree, "label"))["for"] == "id_agree"


# ---- error_summary.html ------------------------------------------------------------------


def test_error_summary_links_every_error_to_its_field():
    tree = parse(render("govuk/error_summary.html", form=invalid_form()))

    summary = find(tree, "div", "govuk-error-summary")
    assert attrs(summary)["tabindex"] == "-1"
    assert attrs(summary)["data-module"] == "govuk-error-summary"
    alert = find(summary, "div", role="alert")
    assert text(find(alert, "h2", "govuk-error-summary__title")) == "There is a problem"
    links = [(attrs(a)["href"], text(a)) for a in find_all(alert, "a")]
    assert links == [
        ("#id_email", "Your invitation has expired: ask your backbone team for a new one"),
        ("#id_email", "Enter an email address in the correct format, like name@example.com"),
        ("#id_organisation", "Select your organisation"),
        ("#id_role_0", "Select a role"),
    ]


def test_error_summary_is_empty_for_a_form_without_errors():
    assert render("govuk/error_summary.html", form=LookForm()).strip() == ""


def test_error_summary_lists_hidden_field_errors_without_a_link():
    class StepForm(forms.Form):
        step = forms.IntegerField(widget=forms.HiddenInput)

    tree = parse(render("govuk/error_summary.html", form=StepForm({"step": "x"})))

    items = find_all(tree, "li")
    assert [text(item) for item in items] == ["Enter a whole number."]
    assert find_all(tree, "a") == []


# ---- button.html and notification_banner.html ---------------------------------------------


def test_button_defaults_to_a_submit_button():
    button = attrs(find(parse(render("govuk/button.html", text="Continue")), "button"))

    assert button == {"type": "submit", "class": "govuk-button", "data-module": "govuk-button"}


def test_button_variants_names_and_double_click_guard():
    tree = parse(
        render(
            "govuk/button.html",
            text="Upload",
            variant="secondary",
            name="action",
            value="upload",
            prevent_double_click=True,
        )
    )
    button = find(tree, "button")
    assert classes(button) == {"govuk-button", "govuk-button--secondary"}
    assert attrs(button)["name"] == "action" and attrs(button)["value"] == "upload"
    assert attrs(button)["data-prevent-double-click"] == "true"
    assert text(button) == "Upload"


def test_button_with_href_is_a_link_with_the_button_role():
    tree = parse(render("govuk/button.html", text="Start now", href="/start/", variant="start"))

    link = find(tree, "a", "govuk-button--start")
    assert attrs(link)["href"] == "/start/" and attrs(link)["role"] == "button"
    assert attrs(find(link, "svg"))["aria-hidden"] == "true"
    assert find_all(tree, "button") == []


@pytest.mark.parametrize(
    ("level", "role", "title", "success_class"),
    [
        (constants.SUCCESS, "alert", "Success", True),
        (constants.INFO, "region", "Important", False),
    ],
)
def test_notification_banner_for_a_message(level, role, title, success_class):
    message = Message(level, "Reminder sent to Sale Sports Trust")
    tree = parse(render("govuk/notification_banner.html", message=message, banner_id=3))

    banner = find(tree, "div", "govuk-notification-banner")
    assert attrs(banner)["role"] == role
    assert attrs(banner)["aria-labelledby"] == "govuk-notification-banner-title-3"
    assert ("govuk-notification-banner--success" in classes(banner)) is success_class
    assert text(find(tree, "h2", id="govuk-notification-banner-title-3")) == title
    assert text(find(tree, "p", "govuk-notification-banner__heading")) == message.message


# ---- base.html ---------------------------------------------------------------------------


def render_base(**context) -> str:
    return render_to_string("base.html", context)


def test_base_is_a_govuk_page_without_the_crown_or_the_govuk_logotype():
    html = render_base()
    tree = parse(html)

    root = find(tree, "html")
    assert attrs(root)["lang"] == "en-GB" and "govuk-template" in classes(root)
    assert "govuk-template__body" in classes(find(tree, "body"))
    skip = find(tree, "a", "govuk-skip-link")
    assert attrs(skip)["href"] == "#main-content"
    assert attrs(find(tree, "main"))["id"] == "main-content"
    # The skip link is the first link or control on the page.
    focusable = ("a", "button", "input", "select", "textarea")
    assert next(e for e in walk(tree) if e.name in focusable) is skip
    assert text(find(tree, "header", "govuk-header")) == "Needle"
    assert find_all(tree, "svg") == []  # no crown, logotype or crest image anywhere
    assert "GOV.UK" not in text(find(tree, "header"))
    assert "govuk-footer__copyright-logo" not in html
    assert text(find(tree, "strong", "govuk-phase-banner__content__tag")) == "Alpha"
    footer_links = {text(a) for a in find_all(find(tree, "footer"), "a")}
    assert footer_links == {"Accessibility statement", "MIT License"}
    stylesheet = find(tree, "link", rel="stylesheet")
    assert attrs(stylesheet)["href"].endswith("needle_web/needle.css")
    module = find(tree, "script", type="module")
    assert attrs(module)["src"].endswith("needle_web/init.js")
    # No inline script: the Content-Security-Policy allows our own files only.
    assert all("src" in attrs(script) for script in find_all(tree, "script"))


def test_base_renders_navigation_from_nav_items_and_marks_the_current_page():
    nav_items = [("Submissions", "/submissions/", False), ("Dashboard", "/", True)]
    tree = parse(render_base(nav_items=nav_items))

    links = find_all(tree, "a", "govuk-service-navigation__link")
    assert [(attrs(a)["href"], text(a)) for a in links] == [
        ("/submissions/", "Submissions"),
        ("/", "Dashboard"),
    ]
    assert [attrs(a).get("aria-current") for a in links] == [None, "page"]
    assert attrs(find(tree, "nav"))["aria-label"] == "Menu"


def test_base_has_no_navigation_without_nav_items():
    assert find_all(parse(render_base()), "nav") == []


def test_base_shows_messages_as_banners_and_flags_errors_in_the_title():
    messages = [Message(constants.SUCCESS, "Saved"), Message(constants.WARNING, "Late")]
    tree = parse(render_base(messages=messages, form=invalid_form()))

    banners = find_all(find(tree, "main"), "div", "govuk-notification-banner")
    assert [attrs(b)["aria-labelledby"] for b in banners] == [
        "govuk-notification-banner-title-1",
        "govuk-notification-banner-title-2",
    ]
    assert text(find(tree, "title")) == "Error: Shared measurement – Needle"
    assert text(find(parse(render_base(form=LookForm())), "title")) == "Shared measurement – Needle"


def test_button_id_classes_and_words_for_screen_readers_only():
    tree = parse(
        render(
            "govuk/button.html",
            text="Withdraw",
            variant="secondary",
            id="withdraw-3",
            classes="govuk-!-margin-bottom-0",
            visually_hidden_text="invitation to <sam>@example.org",
        )
    )
    button = find(tree, "button")
    assert attrs(button)["id"] == "withdraw-3"
    assert classes(button) == {"govuk-button", "govuk-button--secondary", "govuk-!-margin-bottom-0"}
    assert text(button) == "Withdraw invitation to <sam>@example.org"  # escaped, then parsed
    assert text(find(button, "span", "govuk-visually-hidden")) == "invitation to <sam>@example.org"


def test_error_summary_for_a_page_without_a_form_links_to_the_control():
    html = render(
        "govuk/error_summary.html",
        error="You cannot deactivate your own account",
        error_target="deactivate",
    )
    links = [(attrs(a)["href"], text(a)) for a in find_all(parse(html), "a")]
    assert links == [("#deactivate", "You cannot deactivate your own account")]
    assert render("govuk/error_summary.html", error="").strip() == ""


def test_widget_autofocus_is_dropped():
    class SearchForm(forms.Form):
        q = forms.CharField(label="Search", widget=forms.TextInput(attrs={"autofocus": True}))

    field = attrs(find(parse(render("govuk/field.html", field=SearchForm()["q"])), "input"))
    assert "autofocus" not in field


@pytest.mark.parametrize(
    ("template", "heading"),
    [
        ("403.html", "You cannot see this page"),
        ("404.html", "Page not found"),
        ("500.html", "Sorry, there is a problem with the service"),
    ],
)
def test_error_pages_render_without_a_request(template, heading):
    """Django renders 500.html with no request and no context processors."""
    tree = parse(render(template))
    assert text(find(tree, "h1")) == heading
    assert text(find(tree, "title")) == f"{heading} – Needle"
