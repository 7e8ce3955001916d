"""One AppTest per page, on the fixture warehouse (tests/test_meanings.py says what its numbers mean)."""

from __future__ import annotations

import pytest

from dashboards import queries, ui
from pipelines.lib import cohorts
from tests.dashboards.apptest import metrics, open_page, shown_text
from tests.dashboards.conftest import ADMIN, OHIO, PASSWORDS

pytestmark = pytest.mark.usefixtures("dash_env")


def test_sign_in_page_refuses_a_wrong_password_and_admits_the_right_one():
    at = open_page(None)
    assert [t.value for t in at.title] == ["rollcall"]
    at.text_input(key="login_username").input("admin")
    at.text_input(key="login_password").input("wrong")
    at.button[0].click().run()
    assert "do not match" in at.error[0].value
    at.text_input(key="login_password").input(PASSWORDS["admin"])
    at.button[0].click().run()
    assert [t.value for t in at.title] == ["Cohort builder"]


def test_a_user_with_no_role_cannot_sign_in():
    at = open_page(None)
    at.text_input(key="login_username").input("nobody")
    at.text_input(key="login_password").input("nobody-test-pw")
    at.button[0].click().run()
    assert at.error and "user" not in at.session_state


def test_cohort_builder_opened_but_did_not_call_and_narrowing():
    at = open_page("cohort_builder", ADMIN)
    assert at.multiselect(key="cb_campaign@en").value == ["pro-act"]
    assert metrics(at)["People in this cohort"] == "2"  # Dana, Fay (test_meanings)
    at.number_input(key="cb_within@en").set_value(7).run()
    assert metrics(at)["People in this cohort"] == "4"  # + Chloé, Hana
    at.selectbox(key="cb_reachable@en").set_value("sms").run()
    assert metrics(at)["People in this cohort"] == "2"  # Fay, Hana
    at.selectbox(key="cb_geo@en").set_value("US:OH").run()
    assert metrics(at)["People in this cohort"] == "1"  # Hana
    assert at.dataframe[0].value["person_id"].tolist() == ["p-hana"]
    assert "--state OH" in at.code[0].value and "--reachable sms" in at.code[0].value
    cohort = cohorts.Cohort(campaign="pro-act", did="opened", did_not="called", within_days=7, state="OH",
                            reachable="sms")  # fmt: skip
    assert queries.cohort_summary(cohort, None)[0] == 1
    assert at.get("download_button")  # rendered (the browser test downloads it)


def test_cohort_builder_same_event_twice_is_explained_not_an_error():
    at = open_page("cohort_builder", ADMIN)
    at.selectbox(key="cb_did_not@en").set_value("opened").run()
    assert "same action" in at.warning[0].value


def test_campaign_funnel_counts_rates_breakdown_and_time_to_call():
    at = open_page("campaign_funnel", ADMIN)
    m = metrics(at)
    assert (m["Delivered"], m["Opened"], m["Clicked"], m["Called"]) == ("7", "6", "1", "4")
    text = shown_text(at)
    assert "85.7% of delivered" in text  # 6 / 7 opened
    assert "Ohio AFL-CIO" not in text  # breakdown starts by province/state
    at.radio(key="fn_by@en").set_value("affiliate").run()
    assert "Ohio AFL-CIO" in shown_text(at)
    # Alice 46 h, Gus (opened?) … the distribution counts openers who called after opening.
    assert "people called after opening" in shown_text(at)


def test_follow_up_texted_against_untexted_parent_cohort():
    at = open_page("follow_up", ADMIN)
    m = metrics(at)
    # Eligible: opened pro-act, no call before 06-09 → Chloé, Dana, Fay, Hana. Hana texted and called;
    # of the untexted, Chloé called on 06-12.
    assert m["Texted"] == "100.0%" and m["Not texted"] == "33.3%" and m["Difference"] == "66.7 pts"


def test_overview_reach_actions_campaigns_and_geography():
    at = open_page("overview", ADMIN)
    m = metrics(at)
    assert m["Campaigns"] == "3" and m["Emails delivered"] == "8"
    text = shown_text(at)
    assert "Call your Senator about the PRO Act" in text and "Pharmacare now" in text


def test_data_health_loads_rejections_and_unmatched_for_an_admin():
    at = open_page("data_health", ADMIN)
    text = shown_text(at)
    for source in ("SendGrid email events", "Twilio texts", "Twilio calls", "Action Network people"):
        assert source in text
    assert "stranger@example.org" in text  # admins see unmatched identifiers
    assert "not-an-email" in text  # and rejected values


def test_getting_started_in_both_languages():
    en = open_page("getting_started", ADMIN)
    assert "first follow-up cohort" in en.title[0].value
    fr = open_page("getting_started", ADMIN, lang="fr")
    assert fr.title[0].value == "Premiers pas : votre première cohorte de relance"
    assert "Joignable par texto" in fr.markdown[0].value


def test_french_labels_numbers_and_campaign_names():
    at = open_page("cohort_builder", ADMIN, lang="fr")
    assert at.title[0].value == "Constructeur de cohortes"
    assert "Personnes dans cette cohorte" in metrics(at)
    assert (
        at.multiselect(key="cb_campaign@fr")
        .format_func("pro-act")
        .startswith("Appelez votre sénateur au sujet du PRO Act · 2 juin 2026")
    )
    funnel = open_page("campaign_funnel", ADMIN, lang="fr")
    assert "85,7\u00a0% des « livré »" in shown_text(funnel)


def test_switching_language_keeps_the_cohort_choices():
    at = open_page("cohort_builder", ADMIN)
    at.number_input(key="cb_within@en").set_value(7).run()
    at.segmented_control(key="lang_switch").set_value("fr").run()
    assert at.title[0].value == "Constructeur de cohortes"
    assert metrics(at)["Personnes dans cette cohorte"] == "4"


def test_every_page_renders_for_a_scoped_user():
    for page in ui.PAGES:
        at = open_page(page, OHIO)
        assert not at.exception
        if page != "getting_started" and page != "data_health":
            assert "Ohio AFL-CIO" in shown_text(at)
