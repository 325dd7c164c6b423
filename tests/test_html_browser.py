"""The HTML report in a real headless Chromium (Debian's chromium and chromedriver).

Skipped, with the reason, where they are not installed, unless
ALIGNHEALTH_REQUIRE_BROWSER=1 (which CI sets) makes their absence a failure.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from alignhealth.engine import CheckRequest, check, make_host
from alignhealth.reporters.html import HtmlReporter
from alignhealth.testing import write_workbook
from tests.conftest import AS_OF, orphaned_tree
from tests.test_reports import hostile_workbook

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
REQUIRED = os.environ.get("ALIGNHEALTH_REQUIRE_BROWSER") == "1"


def _missing() -> str | None:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    for path in (CHROMIUM, DRIVER):
        if not Path(path).exists():
            return f"{path} is not installed (apt-get install chromium chromium-driver)"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    reason = _missing()
    if reason:
        if REQUIRED:
            pytest.fail(f"ALIGNHEALTH_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1400,1800",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=DRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def report(tmp_path: Path, workbook: Path) -> tuple[Path, Any]:
    result = check(workbook, CheckRequest(as_of=AS_OF), host=make_host(autoload=False))
    page = tmp_path / "report.html"
    page.write_text(HtmlReporter().render(result), encoding="utf-8")
    return page, result


def test_report_loads_cleanly_and_shows_the_tree_and_findings(browser: Any, tmp_path: Path) -> None:
    page, result = report(tmp_path, write_workbook(tmp_path / "client.xlsx", **orphaned_tree()))
    browser.get(page.as_uri())
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    assert browser.title == f"alignhealth: {result.source.path}"
    goals = browser.find_elements("css selector", "svg g.goal")
    assert len(goals) == len(result.graph.goals)
    flagged = {g.get_attribute("data-goal"): g.get_attribute("data-severity") for g in goals}
    assert flagged["G9"] == "high" and flagged["G8"] == "critical" and flagged["G1"] is None
    svg = browser.find_element("css selector", "#tree svg")
    assert svg.size["width"] > 300 and svg.size["height"] > 80
    rows = browser.find_elements("css selector", "table.findings tbody tr")
    assert len(rows) == len(result.active_findings())
    assert "AH201" in rows[0].text and "Goals!" in rows[0].text
    cards = browser.find_elements("css selector", ".card")
    assert len(cards) == len(result.summary.by_owner)
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {})["data"])
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000  # readable when printed


def test_hostile_cells_stay_text_in_the_browser(browser: Any, tmp_path: Path) -> None:
    page, _ = report(tmp_path, hostile_workbook(tmp_path))
    browser.get(page.as_uri())
    assert browser.execute_script("return document.scripts.length") == 0
    assert browser.find_elements("css selector", "img") == []
    body = browser.find_element("tag name", "body").text
    assert '<script>alert("owned")</script>' in body
    assert "=HYPERLINK(" in body
    alerts = browser.execute_script("return window.__alerted === undefined")
    assert alerts is True
