"""The strategist's loop in AppTest: save a cohort as a segment with a held-out control, build it at
once, download and push its treatment list; choices in query parameters; sensible defaults; the
follow-up page's interval and warnings; the funnel's honest chart and worded time to call."""

from __future__ import annotations

import csv
import io
import re

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import queries
from pipelines.lib import segments as seg
from tests.an_server import TOKEN, FakeActionNetwork
from tests.dashboards.apptest import metrics, open_page, shown_text
from tests.dashboards.conftest import ADMIN, APP, OHIO, copy_built

pytestmark = pytest.mark.usefixtures("dash_env")
SAVE = "Save and build the segment"


@pytest.fixture
def private(built, tmp_path, monkeypatch):
    """A private landing folder and warehouse: saving a segment writes segments.yml and publishes."""
    copy = copy_built(built, tmp_path)
    monkeypatch.setenv("ROLLCALL_WAREHOUSE", str(copy["warehouse"]))
    monkeypatch.setenv("ROLLCALL_LANDING", str(copy["landing"]))
    monkeypatch.delenv("ROLLCALL_SEGMENTS", raising=False)
    monkeypatch.delenv("ROLLCALL_AN_TOKEN", raising=False)
    return copy


def click(at: AppTest, label: str) -> AppTest:
    (button,) = [b for b in at.button if b.label == label]
    return button.click().run(timeout=600)


def fill_segment(at: AppTest, en: str, fr: str, holdout: int) -> None:
    at.text_input(key="seg_name_en").input(en)
    at.text_input(key="seg_name_fr").input(fr)
    at.number_input(key="seg_holdout").set_value(holdout)


def test_admin_saves_a_segment_builds_it_at_once_and_gets_its_treatment_list(private, monkeypatch):
    at = open_page("cohort_builder", ADMIN)
    at.number_input(key="cb_within@en").set_value(7).run()
    assert metrics(at)["People in this cohort"] == "4"
    fill_segment(at, "Opened, not called in 7 days", "Ouvert, sans appel en 7 jours", 20)
    click(at, SAVE)
    assert not at.exception, [e.message for e in at.exception]
    assert "saved and built" in at.success[0].value, [w.value for w in at.warning]

    (segment,) = seg.load(private["landing"] / "segments.yml")
    assert (segment.id, segment.holdout, segment.channel) == ("opened-not-called-in-7-days", 20, "sms")
    assert (segment.cohort.within_days, segment.outcome_event, segment.outcome_days) == (7, "called", 7)
    m = metrics(at)
    treatment = queries.segment_treatment(segment)
    assert m["Treatment list"] == str(treatment["rows"]) and "Held out (20%)" in m
    assert at.get("download_button")

    rows = list(csv.DictReader(io.StringIO(treatment["csv"].decode())))
    with duckdb.connect(str(private["warehouse"]), read_only=True) as con:
        arms = dict(
            con.execute(
                "select p.phone, m.arm from segments.membership m join marts.people p using (person_id) "
                "where m.segment_id = ? and m.valid_to is null",
                [segment.id],
            ).fetchall()
        )
        sql = "select p.phone from marts.people p join marts.reachability r using (person_key)"
        sql += " where r.reachable_sms"
        reachable = {p for (p,) in con.sql(sql).fetchall()}
    assert rows and {r["phone"] for r in rows} <= {p for p, arm in arms.items() if arm == "treatment"}
    assert {r["phone"] for r in rows} <= reachable
    assert list(rows[0]) == ["phone", "first_name", "last_name", "zip_code", "tag"]

    click(at, "Push to Action Network")
    assert "skipped" in at.info[-1].value and "ROLLCALL_AN_TOKEN" in at.info[-1].value
    # With a token, the button runs `rollcall segments push`: every treatment member tagged once
    # (a new segment mirrors its tag: added to who is in it, removed from who leaves).
    with FakeActionNetwork() as server:
        monkeypatch.setenv("ROLLCALL_AN_URL", server.url)
        monkeypatch.setenv("ROLLCALL_AN_TOKEN", TOKEN)
        click(at, "Push to Action Network")
        assert f"{len(rows)} added, 0 removed, 0 unchanged, 0 failed (mirror)" in at.success[-1].value, (
            at.error
        )
        assert dict(server.tagged) == {(r["phone"], segment.tag): 1 for r in rows}
    monkeypatch.delenv("ROLLCALL_AN_TOKEN")

    # The same name again, in French: refused, in French, nothing written.
    at.segmented_control(key="lang_switch").set_value("fr").run()
    fill_segment(at, "Opened, not called in 7 days", "Encore", 10)
    click(at, "Enregistrer et construire le segment")
    assert "existe déjà" in at.error[0].value
    assert len(seg.load(private["landing"] / "segments.yml")) == 1

    follow = open_page("follow_up", ADMIN)
    assert "Opened, not called in 7 days" in shown_text(follow)


def test_an_affiliate_user_cannot_save_segments():
    at = open_page("cohort_builder", OHIO)
    assert "Only an administrator" in shown_text(at)
    assert not [t for t in at.text_input if t.key == "seg_name_en"]


def test_choices_come_from_query_parameters_and_go_back_into_them():
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["user"] = ADMIN
    at.query_params["cb_within"] = "7"
    at.run()
    assert metrics(at)["People in this cohort"] == "4"
    at.selectbox(key="cb_reachable@en").set_value("sms").run()
    assert at.query_params["cb_reachable"] == ["sms"] or at.query_params["cb_reachable"] == "sms"
    assert at.query_params["lang"] in ("en", ["en"])


def test_a_click_campaign_explains_called():
    at = open_page("cohort_builder", ADMIN)
    at.multiselect(key="cb_campaign@en").set_value(["pharmacare"]).run()
    assert "not a call" in at.info[0].value
    funnel = open_page("campaign_funnel", ADMIN)
    assert funnel.selectbox(key="fn_campaign@en").value == "pro-act"  # the newest call campaign
    funnel.selectbox(key="fn_campaign@en").set_value("pharmacare").run()
    assert "Not asked by this campaign" in shown_text(funnel)


def test_cohort_errors_are_worded_in_french():
    at = open_page("cohort_builder", ADMIN, lang="fr")
    at.selectbox(key="cb_did_not@fr").set_value("opened").run()
    assert "même action" in at.warning[0].value


def test_follow_up_shows_an_interval_a_small_sample_warning_and_points_to_the_held_out_lift():
    at = open_page("follow_up", ADMIN)
    assert metrics(at)["Difference"] == "66.7 pts"
    text = shown_text(at)
    assert "95% interval:" in text and "chose themselves" in text
    assert "Too few people to judge (1 texted, 3 not texted" in at.warning[0].value
    fr = open_page("follow_up", ADMIN, lang="fr")
    assert "Intervalle à 95" in shown_text(fr) and "Trop peu de personnes" in fr.warning[0].value


def test_funnel_is_bars_in_step_order_and_time_to_call_is_in_words():
    at = open_page("campaign_funnel", ADMIN)
    spec = at.get("plotly_chart")[0].proto.spec
    assert '"type":"bar"' in spec.replace(" ", "") and "funnel" not in spec
    text = shown_text(at)
    assert "half of them within ~" in text and not re.search(r"\d\.\d hours", text)
    fr = open_page("campaign_funnel", ADMIN, lang="fr")
    assert "la moitié d’entre elles en environ" in shown_text(fr)
