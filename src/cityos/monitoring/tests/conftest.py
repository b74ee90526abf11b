"""The browser fixtures live with the front doors' tests; the monitoring pages reuse them."""

from cityos.core.web.tests.conftest import _chromium, page, sign_in_browser  # noqa: F401
