"""One cohort schema (cohorts.FIELDS): read from flags, segments.yml and the page alike; its errors
are codes each surface words (CLI flags, segments.yml keys, the EN/FR catalogues); segments.yml has
one writer; sessions are signed and expire."""

from __future__ import annotations

import time

import pytest
import yaml

from dashboards import auth, sessions
from dashboards.i18n import catalogue
from pipelines import cli
from pipelines.lib import cohorts
from pipelines.lib import segments as seg

QUESTION = cohorts.Cohort(
    campaign="pro-act", did="opened", did_not="called", within_days=7, state="oh", language="en",
    reachable="sms", include_machine_opens=True,
)  # fmt: skip


def test_flags_mapping_and_cohort_are_one_schema():
    args = cli.parser().parse_args(["cohort", *QUESTION.to_flags()])
    assert cohorts.Cohort.from_flags(args) == QUESTION
    mapping = QUESTION.to_mapping()
    assert "reachable" not in mapping  # a segment's channel sets it
    assert mapping["within"] == 7 and mapping["state"] == "OH"
    assert cohorts.Cohort.from_mapping(mapping, reachable="sms") == QUESTION
    # Every field is on every surface it belongs to.
    flags = {a.dest for a in cli.parser()._subparsers._group_actions[0].choices["cohort"]._actions}
    assert {f.name for f in cohorts.FIELDS} <= flags


@pytest.mark.parametrize(
    ("values", "code", "cli_text", "yaml_text"),
    [
        ({"within_days": 3}, "within_without_did_not", "--within needs --did-not", "within needs did_not"),
        ({"did_not": "opened"}, "same_event", "--did and --did-not name", "did and did_not name"),
        ({"province": "Ontario"}, "bad_geo", "--province takes a two-letter code", "province takes a"),
        ({"language": "de"}, "not_a_choice", "--language must be en or fr", "language must be en or fr"),
        ({"did_not": "jumped"}, "not_an_event", "--did-not must be one of", "did_not must be one of"),
    ],
)
def test_errors_are_codes_worded_per_surface(values, code, cli_text, yaml_text):
    with pytest.raises(cohorts.CohortError) as caught:
        cohorts.Cohort(**{"campaign": "pro-act", "did": "opened", **values})
    assert caught.value.code == code
    assert cli_text in str(caught.value) and yaml_text in caught.value.text("yaml")
    assert "--" not in caught.value.text("yaml")


def test_every_error_code_has_english_and_french_words():
    for code in cohorts.MESSAGES:
        en, fr = catalogue("en")[f"cohort.error.{code}"], catalogue("fr")[f"cohort.error.{code}"]
        assert en != fr and "--" not in en and "--" not in fr


def test_segments_yml_unknown_cohort_key_names_the_key(tmp_path):
    path = tmp_path / "segments.yml"
    path.write_text(
        "segments:\n  - id: x\n    name: {en: X, fr: X}\n    channel: sms\n"
        "    cohort: {campaign: pro-act, did: opened, reach: sms}\n"
    )
    with pytest.raises(seg.SegmentError, match="cohort: unknown key 'reach'"):
        seg.load(path)


def test_save_appends_keeps_comments_refuses_a_duplicate_and_reads_back(tmp_path):
    path = tmp_path / "segments.yml"
    path.write_text(
        "# strategists' segments\nsegments:\n  # the first\n  - id: first\n    name: {en: A, fr: B}\n"
        "    channel: email\n    cohort: {campaign: pro-act, did: opened}\n    outcome: {event: clicked}\n"
    )
    entry = seg.define(QUESTION, name_en="Opened, not called (7 days)", name_fr="Ouvert", channel="sms",
                       holdout=20)  # fmt: skip
    assert entry["id"] == "opened-not-called-7-days"
    saved = seg.save(path, entry)
    text = path.read_text()
    assert text.startswith("# strategists' segments\n") and "# the first" in text
    loaded = seg.load(path)
    assert [s.id for s in loaded] == ["first", saved.id] and loaded[1] == saved
    assert (saved.holdout, saved.outcome_event, saved.outcome_days, saved.cohort.reachable) == (
        20,
        "called",
        7,
        "sms",
    )
    with pytest.raises(seg.SegmentError) as caught:
        seg.save(path, entry)
    assert caught.value.code == "duplicate_id" and "already exists" in str(caught.value)
    assert seg.load(path) == loaded  # nothing written


def test_save_a_first_segment_and_refuse_a_nameless_one(tmp_path):
    path = tmp_path / "segments.yml"
    seg.save(path, seg.define(QUESTION, name_en="A", name_fr="B", channel="email"))
    assert yaml.safe_load(path.read_text())["segments"][0]["holdout"] == seg.DEFAULT_HOLDOUT
    with pytest.raises(seg.SegmentError) as caught:
        seg.save(path, seg.define(QUESTION, name_en="Été", name_fr="", channel="email"))
    assert caught.value.code == "no_name"
    with pytest.raises(seg.SegmentError) as caught:
        seg.save(path, seg.define(QUESTION, name_en="!!!", name_fr="x", channel="email"))
    assert caught.value.code == "bad_id"


def test_segments_add_on_the_command_line_uses_the_same_writer(tmp_path, monkeypatch):
    monkeypatch.setenv("ROLLCALL_SEGMENTS", str(tmp_path / "segments.yml"))
    argv = ["segments", "add", "--name-en", "Openers", "--name-fr", "Ouvreurs", "--channel", "email",
            "--campaign", "pro-act", "--did", "opened", "--did-not", "clicked", "--within", "3"]  # fmt: skip
    assert cli.main(argv) == 0
    (segment,) = seg.load(tmp_path / "segments.yml")
    assert (segment.id, segment.holdout, segment.outcome_event) == ("openers", 10, "clicked")
    assert cli.main(argv) == 2  # the duplicate, one line


@pytest.fixture
def users(tmp_path):
    path = tmp_path / "users.yml"
    auth.add_user(path, "maria", "a-long-password", admin=True)
    return path


def test_a_session_is_signed_expires_and_ends_with_a_password_change(users, monkeypatch):
    monkeypatch.delenv("ROLLCALL_SESSION_SECRET", raising=False)
    user = auth.User("maria", "maria", True, None)
    token = sessions.issue(users, user)
    assert sessions.verify(users, token) == user
    assert oct(sessions.secret_path(users).stat().st_mode & 0o777) == "0o600"
    payload, signature = token.split(".")
    assert sessions.verify(users, payload + "." + signature[::-1]) is None  # tampered
    assert sessions.verify(users, token, now=time.time() + sessions.lifetime_seconds() + 1) is None
    auth.add_user(users, "maria", "another-long-password", admin=True)
    assert sessions.verify(users, token) is None  # a new password ends old sessions
    monkeypatch.setenv("ROLLCALL_SESSION_SECRET", "x" * 40)
    assert sessions.verify(users, sessions.issue(users, user)) == user
    assert "Max-Age=0" in sessions.cookie_script(None, secure=False)
    assert "Secure" in sessions.cookie_script(token, secure=True)


def test_difference_interval_is_wide_on_three_against_three():
    from dashboards.queries import difference_interval

    low, high = difference_interval(3, 3, 1, 3)
    assert low < 0 < high <= 1
    low, high = difference_interval(0, 3, 0, 3)
    assert low < 0 < high
    low, high = difference_interval(500, 1000, 300, 1000)
    assert 0.15 < low < 0.2 < high < 0.25


def test_several_campaigns_are_one_field_on_every_surface():
    question = cohorts.Cohort(
        campaign=("pro-act", "pro-act-text"), did="signed", did_not="acted", within_days=3
    )
    flags = question.to_flags()
    assert flags[:4] == ["--campaign", "pro-act", "--campaign", "pro-act-text"]
    assert cohorts.Cohort.from_flags(cli.parser().parse_args(["cohort", *flags])) == question
    mapping = question.to_mapping()
    assert mapping["campaign"] == ["pro-act", "pro-act-text"]  # segments.yml: a list
    assert cohorts.Cohort.from_mapping(mapping) == question
    # one campaign stays a plain id in segments.yml; the same id twice is asked once
    assert cohorts.Cohort(campaign="pro-act", did="wrote").to_mapping()["campaign"] == "pro-act"
    assert cohorts.Cohort(campaign=["pro-act", "pro-act"], did="rsvped").campaign == ("pro-act",)
    with pytest.raises(cohorts.CohortError) as caught:
        cohorts.Cohort.from_mapping({"campaign": [], "did": "signed"})
    assert caught.value.code == "no_campaign"
    with pytest.raises(cohorts.CohortError) as caught:
        cohorts.Cohort(campaign=["pro-act", 7], did="signed")
    assert caught.value.code == "bad_campaign" and "--campaign takes campaign ids" in str(caught.value)
