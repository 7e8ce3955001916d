"""The Ladder page (AppTest): today's rungs, the months, the movement, a flow's people.

The numbers are checked against the warehouse the page reads (a real build of
the fixture landing plus a spring of emails, `ladder_built`: the fixture alone
keeps the ladder on one day) and against the cohort engine, so the page says
what `rollcall cohort --rung-on … --rung-on …` says.
"""

from __future__ import annotations

from datetime import date

import duckdb

from pipelines.lib import cohorts
from tests.dashboards.apptest import metrics, open_page, shown_text
from tests.dashboards.conftest import ADMIN, OHIO

RUNG_LABELS = ("Unreachable", "Listed", "Opener", "Clicker", "Actor", "Repeat actor")
MAY_31, TODAY = date(2026, 5, 31), date(2026, 6, 13)


def _rungs(warehouse, day: date, affiliate: str | None = None) -> dict[str, int]:
    """person_id -> rung on a kept day, straight from marts.ladder."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(
            con.execute(
                """select p.person_id, l.rung from marts.ladder l join marts.people p using (person_key)
                   where l.ladder_day = ? and (? is null or p.affiliate = ?)""",
                [day, affiliate, affiliate],
            ).fetchall()
        )


def _int(text: str) -> int:
    return int(text.replace(",", "").replace("\u202f", "").replace("\xa0", ""))


def test_today_counts_everyone_once_and_the_movement_those_on_both_days(ladder_env):
    at = open_page("ladder", ADMIN)
    assert at.title[0].value == "Engagement ladder"
    shown = metrics(at)
    today = _rungs(ladder_env["warehouse"], TODAY)
    for rung, label in enumerate(RUNG_LABELS):
        assert _int(shown[label]) == sum(r == rung for r in today.values()), label
    # the default movement: the last month's end to today; everyone in the export is on both
    assert (at.selectbox(key="ld_from@en").value, at.selectbox(key="ld_to@en").value) == (MAY_31, TODAY)
    before = _rungs(ladder_env["warehouse"], MAY_31)
    assert _int(shown["People on both days"]) == len(today) == len(before) == 8
    pairs = [(before[p], today[p]) for p in today]
    fell_off = sum(b >= 2 and a <= 1 for b, a in pairs)
    assert _int(shown["Fell off"]) == fell_off
    assert _int(shown["Moved up"]) == sum(a > b for b, a in pairs) == 6
    assert _int(shown["Stayed"]) == sum(a == b for b, a in pairs) == 1
    assert _int(shown["Moved down"]) == sum(a < b for b, a in pairs) - fell_off == 1
    # every (before, after) pair is a flow, its people counted as marts.ladder says
    flow = at.selectbox(key="ld_flow@en")
    assert len(flow.options) - 1 == len(set(pairs))


def test_a_flow_is_a_cohort_of_the_engine(ladder_env):
    at = open_page("ladder", ADMIN)
    flow = at.selectbox(key="ld_flow@en")
    # the flows, highest rung before first: clicker → actor, clicker → opener, opener → repeat actor, …
    assert flow.options[1:4] == ["Clicker → Actor (1)", "Clicker → Opener (1)", "Opener → Repeat actor (2)"]
    at = flow.select("Opener → Repeat actor (2)").run()
    assert not at.exception
    before, after = at.selectbox(key="ld_from@en").value, at.selectbox(key="ld_to@en").value
    rung_from, rung_to = (int(r) for r in at.session_state["choices"]["ld_flow"].split(">"))
    cohort = cohorts.Cohort(
        rung_on=(f"{before}:{cohorts.RUNGS[rung_from]}", f"{after}:{cohorts.RUNGS[rung_to]}")
    )
    with duckdb.connect(str(ladder_env["warehouse"]), read_only=True) as con:
        n = cohorts.count(con, cohort)
    assert n == 2
    text = shown_text(at)
    assert f"{n:,} people: opener on May 31, 2026, repeat actor on Jun 13, 2026" in text
    assert {"p-bruno", "p-gus"} <= set(at.dataframe[0].value["person_id"])
    assert f"--rung-on {before}:{cohorts.RUNGS[rung_from]}" in at.code[0].value
    # into today, the question asks for today's rung, not today's date: saved as a segment,
    # it keeps meaning "now" once today has moved on
    assert "--rung repeat_actor" in at.code[0].value and f"{after}:" not in at.code[0].value


def test_french_ladder_and_an_affiliate_sees_its_own(ladder_env):
    fr = open_page("ladder", ADMIN, lang="fr")
    assert fr.title[0].value == "Échelle d’engagement"
    assert _int(metrics(fr)["Personnes aux deux dates"]) == 8
    ohio = open_page("ladder", OHIO)
    ohio_today = _rungs(ladder_env["warehouse"], TODAY, "Ohio AFL-CIO")
    assert ohio_today and len(ohio_today) < 8
    total = sum(_int(metrics(ohio)[label]) for label in RUNG_LABELS)
    assert total == len(ohio_today)
    assert _int(metrics(ohio)["People on both days"]) == len(ohio_today)
    assert "Ohio AFL-CIO" in shown_text(ohio)


def test_one_kept_day_shows_today_and_says_movement_needs_two(dash_env):
    """The fixture landing alone (every event in June 2026): no movement, said plainly."""
    at = open_page("ladder", ADMIN)
    assert _int(metrics(at)["Repeat actor"]) == sum(
        r == 5 for r in _rungs(dash_env["warehouse"], TODAY).values()
    )
    assert "movement needs two" in shown_text(at)
    assert "People on both days" not in metrics(at)
