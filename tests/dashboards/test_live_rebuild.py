"""`rollcall run` rebuilds while the app is open and being clicked; the app keeps answering, then
shows the new data (the pipeline publishes by atomic rename; the app opens the file per query)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from playwright.sync_api import expect

from tests.dashboards.browser import choose, count, settle, sign_in
from tests.dashboards.conftest import PASSWORDS, ROOT, Server, copy_built

IVAN = (
    "p-ivan,Ivan,Ives,ivan@example.com,614-555-0109,43004,Columbus,OH,US,subscribed,subscribed,"
    "Ohio AFL-CIO,en,OH-03,\n"
)


def land_ivan(landing) -> None:
    """Ivan joins in Ohio and opens the PRO Act email; he does not call."""
    people = landing / "people" / "activists.csv"
    people.write_text(people.read_text(encoding="utf-8") + IVAN, encoding="utf-8")
    events = [
        {"email": "ivan@example.com", "timestamp": 1780408800, "event": "delivered", "sg_event_id": "ev-i1",
         "sg_message_id": "m-i", "campaign_id": "pro-act-2026"},
        {"email": "ivan@example.com", "timestamp": 1780416000, "event": "open", "sg_event_id": "ev-i2",
         "sg_message_id": "m-i", "campaign_id": "pro-act-2026", "sg_machine_open": False},
    ]  # fmt: skip
    (landing / "sendgrid" / "post-009.json").write_text(json.dumps(events), encoding="utf-8")


def test_app_keeps_answering_during_rollcall_run_then_shows_the_new_data(
    browser, built, users_file, tmp_path, artifacts
):
    copy = copy_built(built, tmp_path)
    server = Server(copy["warehouse"], users_file, artifacts / "streamlit-live.log")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        sign_in(page, server.url, "admin", PASSWORDS["admin"])
        expect(page.get_by_test_id("stMetricValue").first).to_have_text("2")
        land_ivan(copy["landing"])
        run = subprocess.Popen(
            [sys.executable, "-m", "pipelines.cli", "run", "--landing", str(copy["landing"]),
             "--warehouse", str(copy["warehouse"])],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        answers, slowest = 0, 0.0
        toggle = ["Reachable by email", "Anyone"]
        while run.poll() is None:
            started = time.monotonic()
            choose(page, "Reachable now", toggle[answers % 2])  # waits for the app's answer
            assert count(page) in {"1", "2", "3"}
            slowest = max(slowest, time.monotonic() - started)
            answers += 1
            time.sleep(1)  # a person clicking, not a load test: leave the run its CPU
        output = run.stdout.read()
        assert run.returncode == 0, output
        assert "published" in output
        assert answers >= 3, "the run finished before the app was clicked during it"
        assert slowest < 10, f"the app took {slowest:.1f}s to answer during the run"
        print(f"{answers} answers during the run, slowest {slowest:.2f}s")
        # Ask again after the run: a change the app has not answered since the
        # publish (choosing what is already chosen asks nothing).
        choose(page, "Reachable now", "Reachable by email")
        choose(page, "Reachable now", "Anyone")
        expect(page.get_by_test_id("stMetricValue").first).to_have_text("3")  # + Ivan
        settle(page)
        page.screenshot(path=artifacts / "after-live-rebuild.png", full_page=True)
    finally:
        context.close()
        server.stop()
