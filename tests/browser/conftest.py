"""The browser suite: headless Chromium driving the back office of a stack of all eight
services (the end-to-end harness's, tests/e2e/harness.py), through the gateway.

Without Chromium and chromedriver the suite is skipped, saying how to install them;
with REQUIRE_BROWSER=1 (CI, .ci/run) it fails instead. A failed test leaves a
screenshot and the page's source in var/test-reports/browser/."""

import os
import shutil

import pytest

from tests.browser import chromium
from tests.e2e.conftest import http, stack  # noqa: F401 (the fixtures, reused as they are)


def pytest_sessionstart(session):
    # Only this run's failures are kept (a CI artifact shows no stale ones).
    shutil.rmtree(chromium.EVIDENCE_DIR, ignore_errors=True)


def pytest_collection_modifyitems(items):
    for item in items:
        item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _chromium_installed():
    """Before the stack starts: a skip (or, with REQUIRE_BROWSER=1, a failure) when the
    browser cannot run."""
    missing = chromium.missing()
    if missing:
        message = f"browser suite: {missing}; install with: {chromium.INSTALL_HINT}"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message} (REQUIRE_BROWSER=1: a skip would hide it)", pytrace=False)
        pytest.skip(message)


@pytest.fixture(scope="session")
def staff(stack):  # noqa: F811 (the imported fixture)
    """A staff login of customer_service: {username, password}."""
    from tests.browser.backoffice import create_staff

    return create_staff(stack)


@pytest.fixture(scope="session")
def office(stack):  # noqa: F811
    """One browser for the session, on the stack's gateway."""
    from tests.browser.backoffice import BackOffice

    with chromium.headless_chromium() as driver:
        yield BackOffice(driver, stack.gateway)


@pytest.fixture
def logged_in(office, staff):
    """The browser holds a back-office login (logging in only if it does not yet)."""
    if not office.is_logged_in:
        office.log_in(staff["username"], staff["password"])
        assert office.path == "/admin/", office.errors()
    return office


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and report.when in ("setup", "call"):
        office = item.funcargs.get("office") or item.funcargs.get("logged_in")
        if office is not None:
            try:
                kept = office.keep_evidence(item.nodeid.split("::")[-1])
            except Exception as error:  # the browser itself may be what failed
                report.sections.append(("browser evidence", f"not kept: {error!r}"))
            else:
                report.sections.append(("browser evidence", "\n".join(str(path) for path in kept)))
    return report
