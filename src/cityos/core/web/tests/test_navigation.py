"""The staff navigation: one entry per module, the platform's own pages under one "Administration"
menu, one line on a laptop (what does not fit goes into "More"), and on a phone a menu button
that folds it away. Every menu opens with Enter or Space and closes with Escape."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityos.core.accounts.models import Role
from cityos.core.accounts.tests.factories import StaffFactory
from cityos.core.registry import NavItem
from cityos.core.web.context_processors import ADMINISTRATION, is_platform_page, nav_groups
from cityos.core.web.tests.conftest import assert_accessible

TOP_LEVEL = ".site-nav > ul > li"
IN_MORE = ".nav-more > details > ul > li"


def test_the_platforms_own_pages_share_one_menu_after_the_modules():
    items = [
        NavItem("ops", "Operations centre", "web:ops", area="ops"),
        NavItem("places", "Places", "geo:manage", area="ops"),
        NavItem("epi", "Epidemic data", "epi:manage", area="ops"),
        NavItem("audit", "Audit log", "audit:log", area="ops"),
        NavItem("people", "Residents", "accounts:people", area="ops"),
    ]
    groups = nav_groups(items)
    assert [g.namespace for g in groups] == ["web", "epi", ADMINISTRATION]
    administration = groups[-1]
    assert str(administration.label) == "Administration"
    assert [i.url_name for i in administration.items] == ["geo:manage", "audit:log", "accounts:people"]
    assert administration.namespaces == ("geo", "audit", "accounts")


def test_a_single_platform_page_stays_an_entry_of_its_own():
    groups = nav_groups([NavItem("places", "Places", "geo:manage", area="ops")])
    assert [(g.namespace, len(g.items)) for g in groups] == [("geo", 1)]


def test_only_core_pages_other_than_the_front_doors_count_as_the_platforms():
    assert is_platform_page("audit:log") and is_platform_page("notifications:list")
    assert not is_platform_page("web:ops") and not is_platform_page("epi:manage")
    assert not is_platform_page("nowhere:at-all")


def test_the_administration_menu_is_marked_on_each_of_its_pages(staff_client):
    _admin, client = staff_client(Role.ADMINISTRATOR)
    page = client.get(reverse("audit:log")).content.decode()
    assert '<summary class="current">Administration<span class="visually-hidden"> (this section)</span>' in page
    assert f'<a href="{reverse("audit:log")}" aria-current="page">' in page
    assert 'class="menu-button secondary" aria-expanded="false" aria-controls="site-menu" hidden' in page


# --- In a browser ------------------------------------------------------------------------------


def _labels(page, selector):
    name = "li => li.querySelector('a, summary').firstChild.textContent"
    return page.evaluate(f"s => Array.from(document.querySelectorAll(s)).map({name})", selector)


def _rows(page):
    return set(
        page.evaluate(
            "s => Array.from(document.querySelectorAll(s)).map(li => Math.round(li.getBoundingClientRect().top))",
            TOP_LEVEL,
        )
    )


@pytest.mark.browser
def test_on_a_laptop_the_administrators_navigation_is_one_line_with_more(page, sign_in_browser):
    sign_in_browser(page, StaffFactory(roles=[Role.ADMINISTRATOR], first_name="Ada", last_name="Moreno"))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(reverse("audit:log"))
    assert len(_rows(page)) == 1
    top_level, in_more = _labels(page, TOP_LEVEL), _labels(page, IN_MORE)
    assert top_level[0] == "Operations centre" and top_level[-1] == "More"
    assert "Administration" in in_more  # and every entry is in one place or the other, in order
    assert [*top_level[:-1], *in_more][-2:] == ["Administration", "Residents' portal"]
    more = page.locator(".nav-more > details > summary")
    assert "current" in (more.get_attribute("class") or "")  # the audit log is in there

    more.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press(" ")
    audit = page.get_by_role("link", name="Audit log")
    assert audit.is_visible()
    assert_accessible(page, "staff navigation with More and Administration open")
    page.keyboard.press("Escape")
    assert not audit.is_visible()
    assert page.evaluate("document.activeElement.firstChild.textContent") == "Administration"
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.firstChild.textContent") == "More"
    assert not page.locator(".nav-more > details").evaluate("d => d.open")

    page.set_viewport_size({"width": 1920, "height": 1080})
    page.wait_for_function("!document.querySelector('.nav-more')")  # everything fits again
    assert len(_rows(page)) == 1


@pytest.mark.browser
def test_on_a_phone_the_staff_navigation_folds_under_a_menu_button(page, sign_in_browser):
    sign_in_browser(page, StaffFactory(roles=[Role.ADMINISTRATOR]))
    page.goto(reverse("web:ops"))
    button = page.get_by_role("button", name="Menu")
    assert button.get_attribute("aria-expanded") == "false"
    assert not page.get_by_role("link", name="Operations centre").is_visible()
    assert page.locator(".site-header").bounding_box()["height"] < 160
    assert_accessible(page, "operations centre with the menu folded")

    button.focus()
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    assert page.get_by_role("link", name="Operations centre").is_visible()
    assert page.get_by_label("Language").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_accessible(page, "operations centre with the menu open")
    page.keyboard.press("Escape")
    assert button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.classList.contains('menu-button')")


@pytest.mark.browser
def test_residents_pages_keep_their_navigation_open_on_a_phone(page):
    page.goto(reverse("web:home"))
    assert not page.locator(".menu-button").is_visible()
    assert page.get_by_role("navigation", name="Services").get_by_role("link", name="Home").is_visible()
