"""The back office's screenshots in docs/ (README.md, "Back office"), taken as the suite
runs it: a stack of all eight services, a few books stocked, headless Chromium.

    .venv/bin/python -m tests.browser.screenshots
"""

import sys
import tempfile
from pathlib import Path

from tests.browser.backoffice import BackOffice, create_staff
from tests.browser.chromium import headless_chromium, missing
from tests.e2e.harness import Stack
from tests.e2e.shop import make_books, stock
from tools.stack import REPO_DIR

DOCS = REPO_DIR / "docs"
BOOKS = [
    ("Dế Mèn phiêu lưu ký", "45000.00"),
    ("Số đỏ", "62000.00"),
    ("Tắt đèn", "38000.00"),
    ("Chí Phèo", "30000.00"),
]


def main() -> int:
    if problem := missing():
        print(f"cannot take screenshots: {problem}", file=sys.stderr)
        return 1
    stack = Stack(Path(tempfile.mkdtemp(prefix="screenshots-")))
    try:
        stack.start()
        staff = create_staff(stack)
        books = make_books(stack, BOOKS, tag="docs", author="Vũ Trọng Phụng", category="Tiểu thuyết")
        stock(stack, [book["id"] for book in books], 12)
        with headless_chromium(window_size=(1200, 760)) as driver:
            office = BackOffice(driver, stack.gateway)
            office.log_in(staff["username"], staff["password"])
            driver.save_screenshot(str(DOCS / "backoffice-home.png"))
            office.open_admin("inventory")
            office.click_link("Stock items")
            driver.save_screenshot(str(DOCS / "backoffice-stock.png"))
    finally:
        stack.stop()
    print("written: docs/backoffice-home.png, docs/backoffice-stock.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
