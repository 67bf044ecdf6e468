"""Headless Chromium for the browser suite: Debian's chromium and chromium-driver
packages, driven by pip's selenium, with a fresh profile each time and nothing of its
own on the network (no updates, sync, QUIC or first-run pages)."""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from tools.stack import REPO_DIR

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

CHROMIUM = Path(os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
# Where a failed test's screenshot and page source go (BackOffice.keep_evidence).
EVIDENCE_DIR = REPO_DIR / "var" / "test-reports" / "browser"
INSTALL_HINT = "apt-get install chromium chromium-driver (Debian's packages; as root or with sudo)"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def missing() -> str | None:
    """What is missing to run the suite, or None."""
    absent = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if absent:
        return f"no {' or '.join(absent)}"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "no selenium (pip install -r requirements-dev.txt)"
    return None


@contextmanager
def headless_chromium(*, window_size: tuple[int, int] = (1280, 900)) -> Iterator["WebDriver"]:
    """A Chromium under chromedriver with a new profile, quit and removed afterwards."""
    from selenium import webdriver

    profile = tempfile.mkdtemp(prefix="browser-suite-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--window-size={window_size[0]},{window_size[1]}", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)))
    try:
        driver.set_page_load_timeout(60)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
