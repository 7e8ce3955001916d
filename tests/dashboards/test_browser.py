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

PAGES_EN = ["Cohort builder", "Campaign funnel", "Follow-up", "Overview", "Data health", "Getting started"]
PAGES_FR = [
    "Constructeur de cohortes", "Entonnoir de campagne", "Relance", "Vue d’ensemble", "Santé des données",
    "Premiers pas",
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
    expect(page.get_by_role("combobox", name="Campagne")).to_have_value(re.compile("^Appelez votre sénateur"))
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
    for title in PAGES_EN[1:5]:
        go(page, title)
        body = page.get_by_test_id("stMain").inner_text()
        for other in ("Dana", "Bruno", "Chloé", "Fay", "Eli", "stranger@example.org", "California Labor"):
            assert other not in body, f"{other} on {title} for the Ohio user"
