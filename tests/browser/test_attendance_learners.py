"""The accreditation's learner list on a phone: no sideways scrolling of the page, no WCAG
violations (axe-core), paged with a link, filtered with a form that works without JavaScript."""

import os

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from tests import factories
from tests.browser.axe import axe_violations
from tests.browser.test_every_screen import OVERFLOW_JS, session_cookie
from tests.records.registers_support import build_export_scenario

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_lists_blocked_learners_at_390_px(live_server, browser):
    scenario = build_export_scenario()
    manager = factories.make_author(scenario["course"], email="beheer@example.org")
    manager.user_permissions.add(Permission.objects.get(codename="manage_accreditation"))
    context = browser.new_context(
        locale="nl-NL", viewport={"width": 390, "height": 844}, is_mobile=True
    )
    context.add_cookies([session_cookie(live_server, manager)])
    page = context.new_page()
    url = reverse("records:attendance_learners", args=[scenario["course"].slug, scenario["big"].pk])
    page.goto(live_server.url + url)
    assert page.get_by_role("table").get_by_role("rowheader").count() == 6
    assert page.evaluate(OVERFLOW_JS) <= 0
    assert axe_violations(page) == []
    page.get_by_label("Reden").select_option("no_number")
    page.get_by_role("button", name="Toon").click()
    page.wait_for_url("**reason=no_number**")
    assert page.get_by_role("table").get_by_role("rowheader").all_inner_texts() == ["Sanne Jansen"]
    context.close()
