"""campaigns.yml under attack: bad dates, YAML bombs, typo keys — one line naming file and campaign.

Through the real ingest (`ingest.load_source` into a real DuckDB file): the
registry either loads whole or fails with `IngestError` and loads nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.lib import ingest
from tests.lib.conftest import FIXTURE

GOOD = (FIXTURE / "campaigns.yml").read_text(encoding="utf-8")
UUID = "7d4c3a52-1b9e-4f0a-9c61-2f3e8b5d0a11"


def refused(con, landing: Path, text: str) -> str:
    """Load a registry that must fail; the one-line message. Nothing is loaded."""
    path = landing / "campaigns.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ingest.IngestError) as failure:
        ingest.load_source(con, landing, "campaigns")
    message = str(failure.value)
    assert "\n" not in message and str(path) in message, message
    assert con.sql("select count(*) from raw.campaigns").fetchall() == [(0,)]
    return message


def with_pro_act(line: str, old: str = "    min_call_seconds: 30\n  - id: pro-act-text") -> str:
    """The fixture registry with `line` added to the first campaign (pro-act)."""
    assert old in GOOD
    return GOOD.replace(old, f"    min_call_seconds: 30\n{line}\n  - id: pro-act-text", 1)


@pytest.mark.parametrize(
    "change, expected",
    [
        ("starts: 2026-06-02", "starts: 2026-13-02"),
        ("sent_between: [2026-06-09, 2026-06-16]", "sent_between: [2026-06-09, 2026-02-30]"),
    ],
)
def test_a_bad_date_names_the_file_and_the_campaign(con, landing, change, expected):
    assert change in GOOD
    message = refused(con, landing, GOOD.replace(change, expected, 1))
    campaign = "pro-act" if "starts" in change else "pro-act-text"
    assert f"campaign {campaign!r}" in message and "not a date" in message, message
    assert expected.split(": ", 1)[1].strip("[]").split(", ")[-1] in message


def test_a_typo_key_is_refused_with_a_suggestion(con, landing):
    message = refused(con, landing, with_pro_act("    emial: {campaign_id: pro-act-2026}"))
    assert "campaign 'pro-act'" in message and "unknown key 'emial'" in message
    assert "did you mean 'email'?" in message
    nested = refused(
        con, landing, GOOD.replace("email: {campaign_id: pro-act-2026}", "email: {campain_id: x}")
    )
    assert "email: unknown key 'campain_id' (did you mean 'campaign_id'?)" in nested


def test_a_yaml_bomb_is_refused_before_it_is_expanded(con, landing):
    # Nine levels of ten aliases: 10^9 strings once expanded (a "billion laughs").
    levels = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        levels.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    message = refused(con, landing, "\n".join(levels) + "\ncampaigns: []\n")
    assert "YAML bomb" in message
    recursive = refused(con, landing, "loop: &x [*x]\ncampaigns: []\n")
    assert "recursive alias" in recursive


def test_actions_are_accepted_and_checked(con, landing):
    good = with_pro_act(
        f"    actions: [{{kind: petition, id: {UUID}}}, {{kind: advocacy_campaign, id: {UUID}}}]"
    )
    (landing / "campaigns.yml").write_text(good, encoding="utf-8")
    ingest.load_source(con, landing, "campaigns")
    assert con.sql("select count(*) from raw.campaigns").fetchall() == [(3,)]
    # pro-act's two pages (as given here), pro-act-text's event and pharmacare's letters
    assert con.execute(
        "select campaign_id, page_kind, page_id = ? from raw.campaign_actions order by all", [UUID]
    ).fetchall() == [
        ("pharmacare", "advocacy_campaign", False),
        ("pro-act", "advocacy_campaign", True),
        ("pro-act", "petition", True),
        ("pro-act-text", "event", False),
    ]

    con.execute("delete from raw.campaigns")
    bad_kind = refused(con, landing, with_pro_act(f"    actions: [{{kind: petiton, id: {UUID}}}]"))
    assert "campaign 'pro-act': actions #1: `kind` must be one of petition, form, event" in bad_kind
    bad_id = refused(con, landing, with_pro_act("    actions: [{kind: form, id: not-a-uuid}]"))
    assert "actions #1: `id` must be an Action Network uuid" in bad_id
    typo = refused(con, landing, with_pro_act(f"    actions: [{{knid: form, id: {UUID}}}]"))
    assert "unknown key 'knid' (did you mean 'kind'?)" in typo


def test_wrong_shapes_are_one_line_not_a_traceback(con, landing):
    assert "campaign #1 needs an `id`" in refused(con, landing, "campaigns:\n  - ask: call\n")
    shapes = [
        ("email: {campaign_id: pro-act-2026}", "email: pro-act-2026", "`email` must be a mapping"),
        (
            'call_numbers: ["(202) 224-3121"]',
            'call_numbers: "(202) 224-3121"',
            "`call_numbers` must be a list",
        ),
        ("min_call_seconds: 30", "min_call_seconds: true", "`min_call_seconds` must be a whole number"),
    ]
    for old, new, expected in shapes:
        message = refused(con, landing, GOOD.replace(old, new, 1))
        assert "campaign 'pro-act'" in message and expected in message, message
