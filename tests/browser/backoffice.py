"""The back office as a staff member uses it, in a real browser: the helpers every
browser test is written with (log in, open an admin page, fill and save a form, run an
admin action on rows, read the messages), and the evidence kept when one fails."""

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser.chromium import EVIDENCE_DIR
from tools.stack import REPO_DIR

WAIT_SECONDS = 20
STAFF = {"username": "chief", "password": "browser-suite-staff-pass", "email": "chief@example.com"}


def create_staff(stack, login: dict[str, str] = STAFF) -> dict[str, str]:
    """A staff login of the stack's customer_service, made as `createsuperuser` makes one."""
    env = stack.env_for("customer") | {"DJANGO_SUPERUSER_PASSWORD": login["password"], "PATH": os.environ["PATH"]}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = ["createsuperuser", "--noinput", "--username", login["username"], "--email", login["email"]]
    subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=REPO_DIR / "customer_service",
        env=env,
        check=True,
        capture_output=True,
    )
    return login


def _gone(element: WebElement) -> bool:
    """Whether the page that held `element` is gone. Asked while the old document is torn
    down, chromedriver may answer an "unhandled inspector error" rather than a stale
    element (seen in CI): that is gone too."""
    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException among them
        return True
    return False


@dataclass
class BackOffice:
    driver: WebDriver
    gateway: str  # http://127.0.0.1:<port>

    # --- pages -----------------------------------------------------------------------

    def open(self, path: str) -> None:
        """The gateway's `path` (/admin/...), loaded."""
        self.driver.get(f"{self.gateway}{path}")
        self.wait_loaded()

    def wait_loaded(self) -> None:
        WebDriverWait(self.driver, WAIT_SECONDS).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )

    @property
    def path(self) -> str:
        """The path and query of the page shown."""
        parts = urlsplit(self.driver.current_url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def title(self) -> str:
        """The page's heading (h1)."""
        return self.driver.find_element(By.CSS_SELECTOR, "#content h1, h1").text

    def find(self, css: str) -> WebElement:
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str) -> list[WebElement]:
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def click(self, element: WebElement) -> None:
        """Clicks something that loads a page, and waits for the new page."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        element.click()
        WebDriverWait(self.driver, WAIT_SECONDS).until(lambda driver: _gone(old))
        self.wait_loaded()

    def click_link(self, text: str) -> None:
        self.click(self.driver.find_element(By.LINK_TEXT, text))

    # --- logging in and out ----------------------------------------------------------

    def log_in(self, username: str, password: str, *, next_path: str = "") -> None:
        """Through the gateway's login form; ends on the page it sends to."""
        self.open(f"/admin/login/{f'?next={next_path}' if next_path else ''}")
        self.fill(username=username, password=password)
        self.click(self.find("#login-form [type=submit]"))

    @property
    def is_logged_in(self) -> bool:
        return self.driver.get_cookie("backoffice") is not None

    def log_out(self) -> None:
        """With the home page's "Log out of every admin" button."""
        self.open("/admin/")
        self.click(self.find("#logout-form button"))

    # --- admin pages -----------------------------------------------------------------

    def open_admin(self, service: str) -> None:
        """A service's admin index, reached by its link on the back office's home page."""
        self.open("/admin/")
        self.click(self.find(f'tr[data-service="{service}"] a'))

    def open_model(self, service: str, app: str, model: str, *, query: str = "") -> None:
        """A model's change list: /admin/<service>/<app>/<model>/."""
        self.open(f"/admin/{service}/{app}/{model}/{f'?{query}' if query else ''}")

    def fill(self, **fields: str) -> None:
        """Types into the form's fields by name (their ids are id_<name>); a <select>
        is chosen by its visible text."""
        for name, value in fields.items():
            element = self.find(f"#id_{name}")
            if element.tag_name == "select":
                Select(element).select_by_visible_text(value)
            else:
                element.clear()
                element.send_keys(value)

    def save(self) -> None:
        """The change form's "Save"."""
        self.click(self.find("input[name=_save]"))

    def run_action(self, action: str, *, ids: list[int | str]) -> list[str]:
        """On a change list: ticks the rows of these object ids, picks the action (its
        name, as the admin registers it) and runs it; the messages it left."""
        for object_id in ids:
            box = self.find(f'input[name="_selected_action"][value="{object_id}"]')
            if not box.is_selected():
                box.click()
        Select(self.find("select[name=action]")).select_by_value(action)
        self.click(self.find("button[name=index], #changelist-form button[type=submit]"))
        return self.messages()

    def messages(self) -> list[str]:
        """The admin's messages on the page ("The author ... was added successfully.")."""
        return [item.text for item in self.find_all("ul.messagelist li")]

    def errors(self) -> list[str]:
        """Form errors and error notes on the page."""
        return [item.text for item in self.find_all(".errornote, .errorlist li") if item.text]

    def row_ids(self) -> list[str]:
        """The object ids of a change list's rows, in order."""
        return [box.get_attribute("value") or "" for box in self.find_all('input[name="_selected_action"]')]

    def resource_status(self, path_suffix: str) -> int | None:
        """The HTTP status with which the page loaded a resource whose URL ends so (a
        stylesheet), from the browser's resource timing; None if it loaded none."""
        return self.driver.execute_script(
            "const e = performance.getEntriesByType('resource').find(r => r.name.endsWith(arguments[0]));"
            "return e ? e.responseStatus : null;",
            path_suffix,
        )

    def stylesheet_urls(self) -> list[str]:
        return [link.get_attribute("href") or "" for link in self.find_all("link[rel=stylesheet]")]

    # --- evidence --------------------------------------------------------------------

    def keep_evidence(self, name: str) -> list[Path]:
        """A screenshot and the page source, under var/test-reports/browser/."""
        EVIDENCE_DIR.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:150]
        shot, source = EVIDENCE_DIR / f"{stem}.png", EVIDENCE_DIR / f"{stem}.html"
        self.driver.save_screenshot(str(shot))
        source.write_text(f"<!-- {self.driver.current_url} -->\n{self.driver.page_source}")
        return [shot, source]
