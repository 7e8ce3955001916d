"""Playwright helpers for driving the Streamlit app in Debian's headless Chromium."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from playwright.sync_api import Page, expect

SETTLED = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    // "notRunning" only: a rerun asked for but not begun ("rerunRequested") is not settled
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    // an element the last run left and this run has not redrawn yet
    if (document.querySelector('[data-stale="true"]')) return false;
    // every Plotly chart has drawn its SVG
    return [...document.querySelectorAll('[data-testid="stPlotlyChart"]')]
        .every(chart => chart.querySelector('.main-svg'));
}"""


def settle(page: Page, timeout: float = 30_000) -> None:
    """Wait until the app has finished its run ("Running…" gone, charts drawn)."""
    page.wait_for_timeout(300)
    page.wait_for_function(SETTLED, timeout=timeout)
    page.wait_for_timeout(200)
    page.wait_for_function(SETTLED, timeout=timeout)


def sign_in(page: Page, url: str, username: str, password: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="User name").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("stMetricValue").first).to_be_visible(timeout=60_000)
    settle(page)


def choose(page: Page, label: str, option: str | re.Pattern, search: str | None = None) -> None:
    """Pick an option; long lists only draw what is in view, so type `search` to bring it up."""
    page.get_by_test_id("stSelectbox").filter(has=page.get_by_text(label, exact=True)).click()
    if search:
        page.keyboard.type(search)
    page.get_by_role("option", name=option).click()
    settle(page)


def count(page: Page) -> str:
    return page.get_by_test_id("stMetricValue").first.inner_text()


def go(page: Page, nav_label: str) -> None:
    """Open a page from the sidebar and wait until that page (not the one before it) has settled."""
    link = page.get_by_test_id("stSidebarNav").get_by_role("link", name=nav_label)
    path = urlparse(link.get_attribute("href") or "").path
    link.click()
    page.wait_for_url(lambda url: urlparse(url).path == path)
    settle(page)
