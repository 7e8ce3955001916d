"""A strategist in a real browser: sign in, build "opened but didn't call", narrow, check the count
against `rollcall cohort`, download, switch to French; screenshots of every page."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.dashboards.browser import choose, count, go, settle, sign_in
from tests.dashboards.conftest import PASSWORDS, ROOT

PAGES_EN = [
    "Cohort builder", "Campaign funnel", "Follow-up", "Overview", "Engagement ladder", "Data health",
    "Getting started",
]  # fmt: skip
PAGES_FR = [
    "Constructeur de cohortes", "Entonnoir de campagne", "Relance", "Vue d’ensemble", "Échelle d’engagement",
    "Santé des données", "Premiers pas",
]  # fmt: skip


def rollcall(warehouse, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "cohort", "--warehouse", str(warehouse), *args],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    yield context.new_page()
    context.close()


def test_strategist_builds_narrows_downloads_and_switches_to_french(page, server, dash_env, artifacts):
    warehouse = dash_env["warehouse"]
    sign_in(page, server.url, "admin", PASSWORDS["admin"])
    question = ["--campaign", "pro-act", "--did", "opened", "--did-not", "called"]
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("2")
    assert count(page) == rollcall(warehouse, *question, "--count").strip()

    within = page.get_by_role("spinbutton", name="Within (days)")
    within.fill("7")
    within.press("Enter")
    settle(page)
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("4")
    choose(page, "Reachable now", "Reachable by text")
    choose(page, "Province / state", re.compile(r"^OH · United States"), search="OH ·")
    narrowed = [*question, "--within", "7", "--state", "OH", "--reachable", "sms"]
    expect(page.get_by_test_id("stMetricValue").first).to_have_text(
        rollcall(warehouse, *narrowed, "--count").strip()
    )
    assert count(page) == "1"
    page.get_by_test_id("stExpander").first.click()
    expect(page.get_by_test_id("stCode").first).to_contain_text("--state OH --reachable sms --count")
    page.screenshot(path=artifacts / "en-cohort-builder.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_test_id("stDownloadButton").get_by_role("button").click()
    downloaded = download.value.path().read_text(encoding="utf-8")
    assert downloaded == rollcall(warehouse, *narrowed, "--format", "csv")
    assert [r["person_id"] for r in csv.DictReader(io.StringIO(downloaded))] == ["p-hana"]

    for title in PAGES_EN[1:]:
        go(page, title)
        expect(page.get_by_role("heading", level=1).first).to_contain_text(title.split(" ")[0])
        page.screenshot(path=artifacts / f"en-{title.lower().replace(' ', '-')}.png", full_page=True)

    go(page, "Cohort builder")
    page.get_by_test_id("stSidebar").get_by_text("Français", exact=True).click()
    settle(page)
    expect(page.get_by_role("heading", name="Constructeur de cohortes")).to_be_visible()
    expect(page.get_by_text("Personnes dans cette cohorte")).to_be_visible()
    assert count(page) == "1"  # the choices survived the switch
    # the campaign picker takes several campaigns: the chosen one is a chip, in French
    expect(page.get_by_test_id("stMultiSelect").first).to_contain_text(re.compile("Appelez votre sénateur"))
    expect(page.get_by_role("combobox", name="Joignable maintenant")).to_have_value("Joignable par texto")
    for title, english in zip(PAGES_FR, PAGES_EN, strict=True):
        go(page, title)
        page.screenshot(path=artifacts / f"fr-{english.lower().replace(' ', '-')}.png", full_page=True)
    expect(page.get_by_role("heading", level=1).first).to_contain_text("Premiers pas")


def test_scoped_user_in_the_browser_downloads_only_its_members(page, server, artifacts):
    sign_in(page, server.url, "ohio", PASSWORDS["ohio"])
    choose(page, "But did not", "(nothing else)")
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("3")  # Alice, Gus, Hana opened
    with page.expect_download() as download:
        page.get_by_test_id("stDownloadButton").get_by_role("button").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert {r["person_id"] for r in rows} == {"p-alice", "p-gus", "p-hana"}
    assert {r["affiliate"] for r in rows} == {"Ohio AFL-CIO"}
    page.screenshot(path=artifacts / "en-cohort-builder-ohio.png", full_page=True)
    for title in PAGES_EN[1:6]:
        go(page, title)
        body = page.get_by_test_id("stMain").inner_text()
        for other in ("Dana", "Bruno", "Chloé", "Fay", "Eli", "stranger@example.org", "California Labor"):
            assert other not in body, f"{other} on {title} for the Ohio user"


def test_strategist_saves_a_segment_downloads_its_treatment_list_and_survives_a_reload(
    browser, built, dash_env, tmp_path, artifacts
):
    """Builds "opened, not called within 7 days", saves it with a 20% holdout, downloads its treatment
    list (no control, no unreachable member), reloads (F5) and is still signed in, choices kept."""
    import duckdb

    from tests.dashboards.conftest import Server, copy_built

    copy = copy_built(built, tmp_path)
    server = Server(
        copy["warehouse"], dash_env["users"], artifacts / "streamlit-segments.log", copy["landing"]
    )
    # Tall: the builder's segment section and the follow-up's lift table fit in one screenshot.
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, accept_downloads=True)
    page = context.new_page()
    try:
        sign_in(page, server.url, "admin", PASSWORDS["admin"])
        within = page.get_by_role("spinbutton", name="Within (days)", exact=True)
        within.fill("7")
        within.press("Enter")
        settle(page)
        expect(page.get_by_test_id("stMetricValue").first).to_have_text("4")
        page.get_by_role("textbox", name="Name (English)").fill("Opened, not called within 7 days")
        page.get_by_role("textbox", name="Name (French)").fill("A ouvert, sans appel dans les 7 jours")
        page.get_by_role("spinbutton", name="Held out (%)").fill("20")
        page.get_by_role("button", name="Save and build the segment").click()
        expect(page.get_by_text("saved and built")).to_be_visible(timeout=600_000)
        settle(page)
        page.screenshot(path=artifacts / "en-cohort-builder-segment.png", full_page=True)

        with page.expect_download() as download:
            page.get_by_role("button", name=re.compile("^Download the treatment list")).click()
        rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
        with duckdb.connect(str(copy["warehouse"]), read_only=True) as con:
            members = con.sql(
                """
                select p.phone, m.arm, coalesce(r.reachable_sms, false)
                from segments.membership m join marts.people p using (person_id)
                left join marts.reachability r on r.person_key = p.person_key
                where m.segment_id = 'opened-not-called-within-7-days' and m.valid_to is null
                """
            ).fetchall()
            holdout = con.sql(
                "select holdout_percent from segments.definitions "
                "where segment_id = 'opened-not-called-within-7-days'"
            ).fetchall()
        assert holdout == [(20,)]
        sent = {r["phone"] for r in rows}
        assert sent and sent == {phone for phone, arm, ok in members if arm == "treatment" and ok}
        assert not sent & {phone for phone, arm, _ in members if arm == "control"}
        assert not sent & {phone for phone, _, ok in members if not ok}

        page.reload()
        settle(page)
        expect(page.get_by_role("heading", name="Cohort builder")).to_be_visible()
        expect(page.get_by_test_id("stMetricValue").first).to_have_text("4")  # ?cb_within=7 survived
        assert page.get_by_role("textbox", name="Password").count() == 0

        go(page, "Follow-up")  # its row in the lift table (a canvas grid): measured, too few to judge yet
        expect(page.get_by_text("cannot be judged yet")).to_be_visible()
        expect(page.get_by_text("No saved segment")).to_have_count(0)
        page.screenshot(path=artifacts / "en-follow-up-segment.png", full_page=True)
        go(page, "Campaign funnel")
        page.screenshot(path=artifacts / "en-campaign-funnel-bars.png", full_page=True)
        page.get_by_test_id("stSidebar").get_by_text("Français", exact=True).click()
        settle(page)
        page.screenshot(path=artifacts / "fr-campaign-funnel-bars.png", full_page=True)
        for title, name in (("Relance", "follow-up"), ("Constructeur de cohortes", "cohort-builder")):
            go(page, title)
            page.screenshot(path=artifacts / f"fr-{name}-segment.png", full_page=True)
        page.reload()
        settle(page)
        expect(page.get_by_role("heading", name="Constructeur de cohortes")).to_be_visible()  # still French

        # A deep link opened while signed out survives the sign-in form.
        other = browser.new_context(viewport={"width": 1400, "height": 1000})
        visitor = other.new_page()
        visitor.goto(f"{server.url}/follow-up?fu_did=clicked")
        settle(visitor)
        visitor.get_by_role("textbox", name="User name").fill("admin")
        visitor.get_by_role("textbox", name="Password").fill(PASSWORDS["admin"])
        visitor.get_by_role("button", name="Sign in").click()
        expect(visitor.get_by_role("heading", name="Follow-up")).to_be_visible(timeout=60_000)
        settle(visitor)
        expect(visitor.get_by_role("combobox", name="Parent cohort: people who")).to_have_value("Clicked")
        other.close()
    finally:
        context.close()
        server.stop()


def test_leadership_reads_the_ladder_and_opens_a_flow_in_both_languages(page, ladder_server, artifacts):
    """The Ladder page: today's rungs, the months stacked, the flow between two days, a flow's
    people (the cohort engine's), in English, then in French. The spring warehouse
    (`ladder_built`): the fixture landing alone keeps the ladder on one day."""
    page.set_viewport_size({"width": 1400, "height": 3000})  # the whole page in one screenshot
    sign_in(page, ladder_server.url, "admin", PASSWORDS["admin"])
    go(page, "Engagement ladder")
    expect(page.get_by_role("heading", level=1).first).to_contain_text("Engagement ladder")
    expect(page.locator(".sankey")).to_have_count(1)
    choose(page, "See the people of a flow", "Opener → Repeat actor (2)")
    flow = ["--rung-on", "2026-05-31:opener", "--rung-on", "2026-06-13:repeat_actor", "--count"]
    assert rollcall(ladder_server.warehouse, *flow).strip() == "2"
    expect(page.get_by_text("2 people: opener on May 31, 2026, repeat actor on Jun 13, 2026")).to_be_visible()
    expect(page.get_by_test_id("stDownloadButton")).to_be_visible()
    page.screenshot(path=artifacts / "en-ladder-flow.png", full_page=True)
    page.get_by_test_id("stSidebar").get_by_text("Français", exact=True).click()
    settle(page)
    expect(page.get_by_role("heading", name="Échelle d’engagement")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^\d+ personnes : "))).to_be_visible()  # the flow survived
    page.screenshot(path=artifacts / "fr-ladder-flow.png", full_page=True)
