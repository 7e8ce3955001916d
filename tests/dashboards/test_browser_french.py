"""Every page in French, in the real browser: no English word a person would read.

Signs in on the French sign-in page (`?lang=fr`), walks every page as an admin
and as an affiliate user, opens every expander, hovers every chart, and reads
what is visible: text (HTML and the charts' SVG), tooltips (`title`), chart
hover labels. Literal data is not prose and is skipped: `code` (commands,
file columns) and what the vendors sent as it was (the rejected rows' values).
Screenshots of every page land in tests/artifacts/dashboards/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.dashboards.browser import go, settle
from tests.dashboards.conftest import PASSWORDS

PAGES_FR = {
    "cohort-builder": "Constructeur de cohortes",
    "campaign-funnel": "Entonnoir de campagne",
    "follow-up": "Relance",
    "overview": "Vue d’ensemble",
    "ladder": "Échelle d’engagement",
    "data-health": "Santé des données",
    "getting-started": "Premiers pas",
}

# English a person could meet on a French page: Streamlit's and Plotly's controls, the
# pipeline's raw column names and reasons, English event names, English number formats.
ENGLISH = [
    # Streamlit's own controls
    "Press Enter", "to submit form", "to apply", "Skip to main content", "Download", "Search",
    "Fullscreen", "Sort ascending", "Sort descending", "Pin column", "Autosize", "Deploy", "Rerun",
    "Settings", "Print", "Record a screencast", "Clear cache", "Running", "No results",
    "Choose an option", "Show more", "Show less", "Close", "Made with Streamlit",
    # Plotly's
    "Download plot", "Zoom", "Pan", "Autoscale", "Reset axes", "Produced with Plotly", "percent initial",
    "percent previous", "percent total", "trace 0", "trace 1",
    # empty cells, raw names and English labels
    "None", "null", "NaN", "first_name", "last_name", "person_id", "zip_code", "province_or_state",
    "rows_loaded", "rows_rejected", "last_load", "raw_value", "identifiers", "sg_event_id",
    "opened", "delivered", "clicked", "texted", "called", "replied", "Opened", "Delivered", "Clicked",
    "Texted", "Called", "People", "Campaign", "Channel", "Events", "Files", "Rows", "Reason", "Email",
    "Phone", "email", "phone", "call", "sms", "All", "Anyone", "Everywhere", "days", "hours",
    # the pipeline's reasons
    "invalid phone", "invalid email", "unparsable", "not a phone number", "bad JSON", "unknown event",
    "missing", "malformed",
]  # fmt: skip
ENGLISH_FORMATS = {
    "a percent sign glued to its number (40%, not 40 %)": re.compile(r"\d%"),
    "English thousands (1,234, not 1 234)": re.compile(r"\b\d{1,3},\d{3}\b"),
    "a raw (x, y) pair in a tooltip": re.compile(r"\([^()]*, [^()]*%\)"),
}

VISIBLE_TEXT = """() => {
    const out = [];
    const literal = el => el.closest('code, pre, [data-literal], [data-testid="stIconMaterial"]');
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode;
        const el = node && node.parentElement;
        if (!el || !node.textContent.trim() || literal(el)) continue;
        if (['SCRIPT', 'STYLE', 'NOSCRIPT'].includes(el.tagName)) continue;
        const style = getComputedStyle(el);
        if (style.visibility === 'hidden' || parseFloat(style.fontSize) === 0) continue;
        if (el.checkVisibility && !el.checkVisibility({opacityProperty: false})) continue;
        const box = el.getBoundingClientRect();
        if (box.width === 0 && box.height === 0 && el.tagName !== 'tspan' && el.tagName !== 'text') continue;
        out.push(node.textContent.trim());
    }
    for (const el of document.querySelectorAll('[title]')) {
        if (!literal(el) && el.getAttribute('title').trim()) out.push(el.getAttribute('title'));
    }
    return out.join('\\n');
}"""


def visible_text(page: Page) -> str:
    return page.evaluate(VISIBLE_TEXT)


def hover_labels(page: Page) -> str:
    """Hover the middle of each chart's plot area and read Plotly's hover label."""
    labels = []
    for plot in page.locator('[data-testid="stPlotlyChart"] .nsewdrag').all():
        box = plot.bounding_box()
        if not box:
            continue
        plot.scroll_into_view_if_needed()
        for fx, fy in ((0.5, 0.5), (0.2, 0.2), (0.8, 0.3)):
            box = plot.bounding_box()
            page.mouse.move(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            page.wait_for_timeout(150)
            labels += page.locator(".hoverlayer").evaluate_all("els => els.map(e => e.textContent)")
    page.mouse.move(0, 0)
    return "\n".join(labels)


def english_in(text: str) -> list[str]:
    found = [w for w in ENGLISH if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)]
    found += [name for name, pattern in ENGLISH_FORMATS.items() if pattern.search(text)]
    return found


def open_expanders(page: Page) -> None:
    for summary in page.locator('[data-testid="stExpander"] summary').all():
        summary.click()
    settle(page)


def full_screenshot(page: Page, path) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the window to fit it."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
        "[data-testid=stMainBlockContainer]')].map(e => e.scrollHeight))"
    )
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], height + 80)})
    page.wait_for_timeout(500)
    page.screenshot(path=path)
    page.set_viewport_size(size)


def sign_in_french(page: Page, url: str, username: str) -> str:
    page.goto(f"{url}/?lang=fr")
    expect(page.get_by_role("button", name="Se connecter")).to_be_visible(timeout=60_000)
    page.get_by_role("textbox", name="Nom d’utilisateur").fill(username)
    page.get_by_role("textbox", name="Mot de passe").fill(PASSWORDS[username])
    # The "Press Enter to submit form" hint shows under a field being typed in: it must be French.
    expect(page.get_by_test_id("InputInstructions").first).to_be_attached()
    on_sign_in = visible_text(page)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_test_id("stMetricValue").first).to_be_visible(timeout=60_000)
    settle(page)
    return on_sign_in


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="fr-CA")
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("username", ["admin", "ohio"])
def test_every_page_in_french_has_no_english(page, server, artifacts, username):
    problems = {}
    found = english_in(sign_in_french(page, server.url, username))
    if found:
        problems["sign-in"] = found
    for slug, title in PAGES_FR.items():
        go(page, title)
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        # a text box being typed in shows Streamlit's hint (French here)
        within = page.get_by_role("spinbutton")
        if within.count():
            within.first.fill("7")
        open_expanders(page)
        text = visible_text(page) + "\n" + hover_labels(page)
        full_screenshot(page, artifacts / f"fr-{slug}-{username}.png")
        found = english_in(text)
        if found:
            problems[slug] = found
    assert not problems, f"English on the French pages ({username}): {problems}"


def test_every_page_in_english_screenshots(page, server, artifacts):
    """The same walk in English, for the screenshots side by side (and no raw (x, y) tooltips)."""
    page.goto(f"{server.url}/?lang=en")
    page.get_by_role("textbox", name="User name").fill("admin")
    page.get_by_role("textbox", name="Password").fill(PASSWORDS["admin"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("stMetricValue").first).to_be_visible(timeout=60_000)
    settle(page)
    titles = [
        "Cohort builder", "Campaign funnel", "Follow-up", "Overview", "Engagement ladder", "Data health",
        "Getting started",
    ]  # fmt: skip
    for slug, title in zip(PAGES_FR, titles, strict=True):
        go(page, title)
        open_expanders(page)
        hovered = hover_labels(page)
        assert not ENGLISH_FORMATS["a raw (x, y) pair in a tooltip"].search(hovered), (title, hovered)
        assert "None" not in visible_text(page), title
        full_screenshot(page, artifacts / f"en-{slug}-admin.png")


def test_the_ladder_with_movement_in_french_has_no_english(page, ladder_server, artifacts):
    """The ladder kept on four days (`ladder_built`): the Sankey's nodes, links and tooltips,
    the movement and a flow's people in French (the fixture alone has no movement to show)."""
    sign_in_french(page, ladder_server.url, "admin")
    go(page, PAGES_FR["ladder"])
    expect(page.locator(".sankey")).to_have_count(1)
    tips = []
    for link in page.locator(".sankey-link").all()[:3]:
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        if box:
            page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
            page.wait_for_timeout(200)
            tips += page.locator(".hoverlayer").evaluate_all("els => els.map(e => e.textContent)")
    assert any("personne" in t for t in tips), tips
    open_expanders(page)
    text = visible_text(page) + "\n" + hover_labels(page) + "\n" + "\n".join(tips)
    assert "Sont montés" in text and "31 mai 2026" in text
    full_screenshot(page, artifacts / "fr-ladder-movement-admin.png")
    assert not english_in(text), english_in(text)
