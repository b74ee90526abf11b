"""Apps declare what they add in the registry; core pages and the scheduler read it from there."""

from __future__ import annotations

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from cityos.core.registry import MessageKind, NavItem, Registry, registry


def test_core_apps_have_registered_their_entries():
    assert "portal:home" in registry.nav
    assert "ops:ops" in registry.nav
    assert "jobs" in registry.tiles
    assert [s.name for s in registry.ordered_demo_steps()][:2] == ["geography", "accounts"]
    assert "email" in registry.personal_fields("accounts.User")


def test_a_key_cannot_be_registered_twice_with_different_values():
    fresh = Registry()
    fresh.add_nav(NavItem("x", "X", "web:home", area="portal"))
    fresh.add_nav(NavItem("x", "X", "web:home", area="portal"))  # the same again is harmless
    with pytest.raises(ValueError, match="registered twice"):
        fresh.add_nav(NavItem("x", "Other", "web:home", area="portal"))


def test_nav_is_ordered_within_its_area():
    fresh = Registry()
    fresh.add_nav(NavItem("b", "B", "web:home", area="portal", order=20))
    fresh.add_nav(NavItem("a", "A", "web:home", area="portal", order=10))
    fresh.add_nav(NavItem("o", "O", "web:ops", area="ops"))
    assert [n.key for n in fresh.nav_for("portal")] == ["a", "b"]


def test_a_message_template_is_named_in_the_active_language_or_by_its_key():
    fresh = Registry()
    fresh.add_message_kind(MessageKind("notice", _("Notice from the city")))
    with translation.override("es"):
        assert fresh.message_label("notice") == "Aviso de la ciudad"
        assert fresh.message_label("not_declared") == "not_declared"
    assert registry.message_label("welcome") == "Welcome message"  # the core's own templates
