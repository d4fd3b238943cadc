"""A real Chromium for tests of what a person sees, e.g. the auditor's HTML compliance report.

Debian's chromium and chromium-driver are driven by selenium through explicit paths, so Selenium Manager never runs
and nothing is downloaded. Without them a developer's run skips; CI (CI=true) fails, so CI can't pass by skipping.

Use: `from tests.browser import browser, console_errors  # noqa: F401` in a test module, then take `browser`.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL_HINT = "apt-get install chromium chromium-driver"
SELENIUM_HINT = "pip install -r requirements-dev.txt"

# No GPU, sandbox (root in a container), QUIC, first-run, sync or component/background traffic: a quiet, offline start.
# Those flags alone still left DNS look-ups (start.duckduckgo.com, accounts.google.com, update.googleapis.com and
# clients2.google.com, partly from Debian's --enable-remote-extensions), so every host name but localhost resolves to
# nothing inside Chromium: a page that needs the internet fails here as it would in CI, and no packet leaves.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
)


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def missing_browser_reason(
    chromium: Path = CHROMIUM, chromedriver: Path = CHROMEDRIVER, selenium_module: str = "selenium"
) -> str | None:
    """Say which piece of the browser harness is missing, or None when all are there (paths injectable for tests)."""
    if not _executable(chromium):
        return f"chromium is not installed: {INSTALL_HINT}"
    if not _executable(chromedriver):
        return f"chromedriver is not installed: {INSTALL_HINT}"
    if importlib.util.find_spec(selenium_module) is None:
        return f"selenium is not installed: {SELENIUM_HINT}"
    return None


def require_or_skip(reason: str | None, ci: str | None) -> None:
    """Skip on a developer's machine without what a test needs (a browser, the serving venv), but fail under
    CI=true: a skipped suite is no signal."""
    if reason is None:
        return
    if (ci or "").strip().lower() == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def start_browser(user_data_dir: Path) -> WebDriver:
    """Start headless Chromium with console logging; both paths are explicit, so Selenium Manager is never asked."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={user_data_dir}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """One headless Chromium per session (per xdist worker): starting it is the slow part, pages are cheap."""
    require_or_skip(missing_browser_reason(), os.environ.get("CI"))
    with tempfile.TemporaryDirectory(prefix="roadway-chromium-", ignore_cleanup_errors=True) as profile:
        driver = start_browser(Path(profile))
        try:
            yield driver
        finally:
            driver.quit()


def console_errors(driver: WebDriver) -> list[str]:
    """The SEVERE console messages since the last read (reading drains the log), e.g. a page script's uncaught throw."""
    return [entry["message"] for entry in driver.get_log("browser") if entry.get("level") == "SEVERE"]
