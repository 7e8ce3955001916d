"""The Ladder page (AppTest): today's rungs, the months, the movement, a flow's people.

The numbers are checked against the warehouse the page reads (the fixture's
real build) and against the cohort engine, so the page says what
`rollcall cohort --rung-on … --rung-on …` says.
"""

from __future__ import annotations

import duckdb

from pipelines.lib import cohorts
from tests.dashboards.apptest import metrics, open_page, shown_text
from tests.dashboards.conftest import ADMIN, OHIO


def _people(warehouse, affiliate: str | None = None) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        if affiliate is None:
            return con.execute("select count(*) from marts.people").fetchone()[0]
        return con.execute("select count(*) from marts.people where affiliate = ?", [affiliate]).fetchone()[0]


def _rung_total(at) -> int:
    names = ("Repeat actor", "Actor", "Clicker", "Opener", "Listed", "Unreachable")
    return sum(int(metrics(at)[n].replace(",", "")) for n in names)


def test_today_counts_everyone_once_and_the_movement_those_on_both_days(dash_env):
    at = open_page("ladder", ADMIN)
    assert at.title[0].value == "Engagement ladder"
    assert _rung_total(at) == _people(dash_env["warehouse"])
    # everyone in the export is on both kept days, so the movement counts them all
    assert int(metrics(at)["People on both days"].replace(",", "")) == _people(dash_env["warehouse"])
    directions = ("Moved up", "Stayed", "Moved down", "Fell off")
    moved = sum(int(metrics(at)[d].replace(",", "")) for d in directions)
    assert moved == _people(dash_env["warehouse"])


def test_a_flow_is_a_cohort_of_the_engine(dash_env):
    at = open_page("ladder", ADMIN)
    flow = at.selectbox(key="ld_flow@en")
    first = flow.options[1]  # the first flow after "(choose a flow)"
    at = flow.select(first).run()
    assert not at.exception
    before, after = at.selectbox(key="ld_from@en").value, at.selectbox(key="ld_to@en").value
    rung_from, rung_to = (int(r) for r in at.session_state["choices"]["ld_flow"].split(">"))
    cohort = cohorts.Cohort(
        rung_on=(f"{before}:{cohorts.RUNGS[rung_from]}", f"{after}:{cohorts.RUNGS[rung_to]}")
    )
    with duckdb.connect(str(dash_env["warehouse"]), read_only=True) as con:
        n = cohorts.count(con, cohort)
    assert n > 0
    assert f"{n:,} people:" in shown_text(at)
    assert f"--rung-on {before}:{cohorts.RUNGS[rung_from]}" in at.code[0].value


def test_french_ladder_and_an_affiliate_sees_its_own(dash_env):
    fr = open_page("ladder", ADMIN, lang="fr")
    assert fr.title[0].value == "Échelle d’engagement"
    assert "Personnes aux deux dates" in metrics(fr)
    ohio = open_page("ladder", OHIO)
    assert _rung_total(ohio) == _people(dash_env["warehouse"], "Ohio AFL-CIO")
    assert "Ohio AFL-CIO" in shown_text(ohio)
