"""The browser harness itself: it reads the DOM, it hears console errors, and CI can't pass it by skipping."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser import (
    INSTALL_HINT,
    browser,  # noqa: F401 - the session fixture
    console_errors,
    missing_browser_reason,
    require_or_skip,
    start_browser,
)

if TYPE_CHECKING:
    from selenium.webdriver.chrome.webdriver import WebDriver


def write_page(directory: Path, name: str, body: str) -> str:
    """A local page as a file:// URL, so the harness is proved without any server or network."""
    page = directory / name
    page.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{name}</title></head><body>{body}</body></html>"
    )
    return page.as_uri()


def test_reads_a_rendered_heading_through_the_dom(browser: WebDriver, tmp_path: Path) -> None:  # noqa: F811
    from selenium.webdriver.common.by import By

    browser.get(write_page(tmp_path, "heading.html", "<h1 id='title'>Compliance <em>report</em></h1>"))
    assert browser.find_element(By.ID, "title").text == "Compliance report"
    assert browser.title == "heading.html"


def test_console_errors_reports_a_script_that_throws(browser: WebDriver, tmp_path: Path) -> None:  # noqa: F811
    browser.get_log("browser")  # drain what earlier tests left: the driver is shared by the session
    browser.get(write_page(tmp_path, "boom.html", "<script>throw new Error('boom')</script>"))
    errors = console_errors(browser)
    assert len(errors) == 1
    assert "Uncaught Error: boom" in errors[0]


def test_console_errors_is_empty_for_a_clean_page(browser: WebDriver, tmp_path: Path) -> None:  # noqa: F811
    browser.get_log("browser")
    browser.get(write_page(tmp_path, "clean.html", "<p>fine</p><script>console.log('not an error')</script>"))
    assert console_errors(browser) == []


def test_console_errors_drains_the_log(browser: WebDriver, tmp_path: Path) -> None:  # noqa: F811
    browser.get(write_page(tmp_path, "boom-once.html", "<script>throw new Error('once')</script>"))
    assert console_errors(browser)
    assert console_errors(browser) == []


def test_selenium_manager_is_never_asked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Selenium Manager would download a browser and driver; the explicit paths must keep it from ever running."""
    require_or_skip(missing_browser_reason(), os.environ.get("CI"))
    from selenium.webdriver.common.selenium_manager import SeleniumManager

    def refuse(*_args: object, **_kwargs: object) -> dict[str, str]:
        raise AssertionError("Selenium Manager was asked for a driver")

    monkeypatch.setattr(SeleniumManager, "binary_paths", refuse)
    driver = start_browser(tmp_path / "profile")
    try:
        assert driver.capabilities["browserName"] in {"chrome", "chromium"}
    finally:
        driver.quit()


# The skip-or-fail rule, without a browser.


def executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_missing_browser_reason_names_the_missing_piece(tmp_path: Path) -> None:
    chromium, driver = executable(tmp_path / "chromium"), executable(tmp_path / "chromedriver")
    absent = tmp_path / "absent"
    assert missing_browser_reason(absent, driver) == f"chromium is not installed: {INSTALL_HINT}"
    assert missing_browser_reason(chromium, absent) == f"chromedriver is not installed: {INSTALL_HINT}"
    assert missing_browser_reason(chromium, driver, "no_such_selenium_module").startswith("selenium is not installed")
    assert missing_browser_reason(chromium, driver, "pytest") is None


def test_missing_browser_reason_wants_an_executable(tmp_path: Path) -> None:
    (tmp_path / "chromium").write_text("not a program")
    assert missing_browser_reason(tmp_path / "chromium", executable(tmp_path / "chromedriver"), "pytest") == (
        f"chromium is not installed: {INSTALL_HINT}"
    )


@pytest.mark.parametrize("ci", [None, "", "false", "0"])
def test_a_developer_without_a_browser_skips(ci: str | None) -> None:
    with pytest.raises(pytest.skip.Exception, match="chromium is not installed"):
        require_or_skip(f"chromium is not installed: {INSTALL_HINT}", ci)


@pytest.mark.parametrize("ci", ["true", "TRUE", "true\n"])
def test_ci_without_a_browser_fails(ci: str) -> None:
    with pytest.raises(pytest.fail.Exception, match="chromedriver is not installed"):
        require_or_skip(f"chromedriver is not installed: {INSTALL_HINT}", ci)


@pytest.mark.parametrize("ci", [None, "true"])
def test_nothing_missing_neither_skips_nor_fails(ci: str | None) -> None:
    require_or_skip(None, ci)
