"""The engagement ladder (DESIGN, "Meanings": engagement ladder), worked out by hand on real dbt builds.

The people are make_raw_fixture's seven; their events are replaced by these
(campaigns: pro_act lists petition PET1 and event EV1 and the office number;
pro_act_fu lists form FORM1 and the office number too):

- Ana (p001) opens and clicks pro_act's email 06-02, signs PET1 (pro_act)
  06-04 and submits FORM1 (pro_act_fu) 06-06: two actions, two campaigns.
- Bob (p002) opens 06-03, and again 09-29 (the latest event: today).
- Cleo (p003) clicks 06-02.
- Dan (p004) calls the office both campaigns list 06-10 for 2 minutes: one
  action that counts for two campaigns.
- Eve (p005) signs PET1 06-04 and RSVPs to EV1 06-05: two actions, one campaign.
- Finn (p006) has only a machine open (06-20).
- Gus (p007) has nothing, is unsubscribed and has no phone: unreachable.
- Nothing at all happens in July.

Kept days: 06-30, 07-31, 08-31 (month ends) and 09-29 (today). The window
of 08-31 is 06-03 … 08-31: Bob's 06-03 open is its 90th day (in), Cleo's
06-02 click its 91st (out). Today's window, 07-02 … 09-29, holds only Bob's
second open.
"""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import cohorts
from pipelines.lib import warehouse as wh
from tests.dbt.conftest import raw_fixture

OFFICE = "+12025550188"
D = date.fromisoformat

# person_id -> rungs on 06-30, 07-31, 08-31, today (09-29), worked out by hand
EXPECTED = {
    "p001": ["repeat_actor", "repeat_actor", "repeat_actor", "listed"],  # Ana
    "p002": ["opener", "opener", "opener", "opener"],  # Bob: 06-03 is day 90 of 08-31
    "p003": ["clicker", "clicker", "listed", "listed"],  # Cleo: 06-02 is day 91 of 08-31
    "p004": ["actor", "actor", "actor", "listed"],  # Dan: one call, two campaigns
    "p005": ["actor", "actor", "actor", "listed"],  # Eve: two actions, one campaign
    "p006": ["listed", "listed", "listed", "listed"],  # Finn: a machine open lifts nothing
    "p007": ["listed", "listed", "listed", "unreachable"],  # Gus: unreachable, today only
}
DAYS = [D("2026-06-30"), D("2026-07-31"), D("2026-08-31"), D("2026-09-29")]


def _fixture_module():
    return raw_fixture()


def _now() -> datetime:
    """A load time later than any build so far (builds log their UTC start)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _email(con, sid: str, event: str, email: str, at: str, loaded: datetime, machine: bool = False) -> None:
    con.execute(
        "insert into raw.sendgrid_events values "
        "(?, ?, ?, null, ?, 'pro-act-1', ?, null, null, 'sg.json', ?, cast(hash(?) >> 1 as bigint))",
        [sid, event, email, datetime.fromisoformat(at), machine, loaded, sid],
    )


def _action(con, aid: str, kind: str, page_kind: str, page: str, person: str, at: str, loaded, status=None):
    when = datetime.fromisoformat(at)
    con.execute(
        "insert into raw.actionnetwork_actions values (?, ?, ?, ?, ?, ?, ?, ?, null, 'actions.ndjson', 1, ?)",
        [aid, kind, page_kind, page, person, when, when, status, loaded],
    )


def land_day_one(path: Path) -> Path:
    fixture = _fixture_module()
    fixture.build(path)
    loaded = fixture.LOADED_AT
    con = duckdb.connect(str(path))
    try:
        wh.attach_raw(con)
        for table in (
            "sendgrid_events",
            "twilio_messages",
            "twilio_calls",
            "actionnetwork_actions",
            "actionnetwork_action_targets",
        ):
            con.execute(f"delete from raw.{table}")
        _email(con, "L01", "open", "ana@example.org", "2026-06-02 11:00:00", loaded)
        _email(con, "L02", "click", "ana@example.org", "2026-06-02 11:05:00", loaded)
        _email(con, "L03", "open", "bob@example.com", "2026-06-03 00:00:00", loaded)
        _email(con, "L04", "open", "bob@example.com", "2026-09-29 23:59:59", loaded)
        _email(con, "L05", "click", "cleo@example.org", "2026-06-02 23:59:59", loaded)
        _email(con, "L06", "open", "shared@example.org", "2026-06-20 10:00:00", loaded, machine=True)
        _action(con, "LA1", "signature", "petition", "PET1", "p001", "2026-06-04 10:00:00", loaded)
        _action(con, "LA2", "submission", "form", "FORM1", "p001", "2026-06-06 10:00:00", loaded)
        _action(con, "LA3", "signature", "petition", "PET1", "p005", "2026-06-04 11:00:00", loaded)
        _action(con, "LA4", "attendance", "event", "EV1", "p005", "2026-06-05 11:00:00", loaded, "accepted")
        con.execute(
            "insert into raw.twilio_calls values ('LC1', null, 'inbound', 'completed', ?, ?, ?, ?, "
            "timestamp '2026-06-10 10:00:00', null, 120, 'calls.csv', 2, ?)",
            [fixture.DAN, OFFICE, fixture.DAN, OFFICE, loaded],
        )
    finally:
        con.close()
    return path


def land_day_two(path: Path) -> None:
    """Finn clicks 09-30 (today moves to a month's end); Cleo's 07-15 click lands
    late; Hana (p008), new to the export, opened 06-15."""
    fixture = _fixture_module()
    loaded = _now()
    con = duckdb.connect(str(path))
    try:
        wh.attach_raw(con)
        _email(con, "L07", "click", "shared@example.org", "2026-09-30 08:00:00", loaded)
        _email(con, "L08", "click", "cleo@example.org", "2026-07-15 08:00:00", loaded)
        _email(con, "L09", "open", "hana@example.org", "2026-06-15 08:00:00", loaded)
        hana = list(fixture.PEOPLE[0])
        hana[:5] = ["p008", "Hana", "Sato", "hana@example.org", "hana@example.org"]
        hana[5:7] = [None, None]
        con.execute(
            "insert into raw.people values "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'people-2.csv', ?)",
            [*hana, loaded],
        )
    finally:
        con.close()


def land_day_three(path: Path) -> None:
    """Bob opens 10-02: 09-30 becomes a month's end, no longer today."""
    con = duckdb.connect(str(path))
    try:
        wh.attach_raw(con)
        _email(con, "L10", "open", "bob@example.com", "2026-10-02 09:00:00", _now())
    finally:
        con.close()


def _copy(source: Path, target: Path) -> Path:
    # dbt's in-process connection may hold the last writes in the WAL: flush them first
    with duckdb.connect(str(source)) as con:
        wh.attach_raw(con)
        con.execute("checkpoint")
        con.execute("checkpoint raw")
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".raw"):
        shutil.copy(str(source) + suffix, str(target) + suffix)
    return target


@pytest.fixture(scope="module")
def day_one(tmp_path_factory: pytest.TempPathFactory, dbt) -> Path:
    path = land_day_one(tmp_path_factory.mktemp("ladder_one") / "warehouse.duckdb")
    dbt(path)
    return path


@pytest.fixture(scope="module")
def daily(day_one: Path, tmp_path_factory: pytest.TempPathFactory, dbt) -> tuple[Path, Path]:
    """Day one's warehouse, then day two and day three each landed and built daily."""
    root = tmp_path_factory.mktemp("ladder_daily")
    two = _copy(day_one, root / "two" / "warehouse.duckdb")
    land_day_two(two)
    dbt(two)
    three = _copy(two, root / "three" / "warehouse.duckdb")
    land_day_three(three)
    dbt(three)
    return two, three


@pytest.fixture(scope="module")
def from_scratch(tmp_path_factory: pytest.TempPathFactory, dbt) -> tuple[Path, Path]:
    """Day two's and day three's raw tables, each built once from nothing."""
    root = tmp_path_factory.mktemp("ladder_full")
    two = land_day_one(root / "two" / "warehouse.duckdb")
    land_day_two(two)
    dbt(two)
    three = land_day_one(root / "three" / "warehouse.duckdb")
    land_day_two(three)
    land_day_three(three)
    dbt(three)
    return two, three


@pytest.fixture
def con_one(day_one: Path):
    con = duckdb.connect(str(day_one))
    yield con
    con.close()


def rungs(con) -> dict[str, list[str]]:
    rows = con.sql(
        "select p.person_id, n.rung_name from marts.ladder l "
        "join marts.people p using (person_key) join marts.ladder_rungs n using (rung) "
        "order by p.person_id, l.ladder_day"
    ).fetchall()
    found: dict[str, list[str]] = {}
    for person, name in rows:
        found.setdefault(person, []).append(name)
    return found


def test_the_ladder_is_kept_on_every_month_end_even_an_empty_one_and_today(con_one):
    days = con_one.sql(
        "select ladder_day, is_today from marts.ladder_counts group by all order by 1"
    ).fetchall()
    # July has no event at all and is kept all the same; today is the day of the latest event
    assert days == [(d, d == DAYS[-1]) for d in DAYS]


def test_each_rung_worked_out_by_hand(con_one):
    assert rungs(con_one) == EXPECTED


def test_the_90_day_window_day_90_in_day_91_out(con_one):
    on_08_31 = {p: r[2] for p, r in rungs(con_one).items()}
    assert on_08_31["p002"] == "opener"  # 06-03 00:00:00 is day 90 of 06-03 … 08-31
    assert on_08_31["p003"] == "listed"  # 06-02 23:59:59 is day 91


def test_repeat_actor_needs_two_actions_for_two_different_campaigns(con_one):
    on_06_30 = {p: r[0] for p, r in rungs(con_one).items()}
    assert on_06_30["p001"] == "repeat_actor"  # a petition (pro_act) and a form (pro_act_fu)
    assert on_06_30["p004"] == "actor"  # one call counting for both campaigns is one action
    assert on_06_30["p005"] == "actor"  # two actions, one campaign


def test_unreachable_replaces_listed_on_today_only(con_one):
    gus = rungs(con_one)["p007"]
    assert gus == ["listed", "listed", "listed", "unreachable"]
    # Ana is as reachable as Gus is not, and listed today too: only reachability differs
    assert rungs(con_one)["p001"][-1] == "listed"


def test_the_movement_between_two_days_sums_to_the_people_on_both(con_one):
    rows = con_one.sql(
        "select rung_before, rung_after, direction, sum(people) from marts.ladder_movement "
        "where day_before = date '2026-06-30' and day_after = date '2026-09-29' group by all order by 1, 2"
    ).fetchall()
    # Ana 5→1, Cleo 3→1, Dan and Eve 4→1 fell off; Bob 2→2 and Finn 1→1 stayed; Gus 1→0 down
    assert rows == [
        (1, 0, "down", 1),
        (1, 1, "same", 1),
        (2, 2, "same", 1),
        (3, 1, "fell_off", 1),
        (4, 1, "fell_off", 2),
        (5, 1, "fell_off", 1),
    ]
    on_both = con_one.execute(
        "select count(*) from marts.ladder a join marts.ladder b using (person_key) "
        "where a.ladder_day = date '2026-06-30' and b.ladder_day = date '2026-09-29'"
    ).fetchone()[0]
    assert sum(n for *_, n in rows) == on_both == 7


def test_rung_narrows_a_cohort_to_people_on_that_rung_today(con_one):
    def who(**question) -> list[str]:
        return cohorts.members(con_one, cohorts.Cohort(**question)).column("person_id").to_pylist()

    assert who(rung="opener") == ["p002"]
    assert who(rung="listed", affiliate="ofl") == ["p001"]
    # with a campaign: the people with a first open of pro_act, on rung opener today
    assert who(campaign="pro_act", did="opened", rung="opener") == ["p002"]
    # a flow: on rung actor on 06-30 and listed today
    assert who(rung_on=("2026-06-30:actor", "2026-09-29:listed")) == ["p004", "p005"]
    with pytest.raises(cohorts.CohortError) as not_kept:
        who(rung_on=("2026-06-15:actor",))
    assert not_kept.value.code == "unknown_ladder_day"


def test_the_rung_names_are_the_cohort_engines(con_one):
    names = [n for (n,) in con_one.sql("select rung_name from marts.ladder_rungs order by rung").fetchall()]
    assert tuple(names) == cohorts.RUNGS


def test_daily_builds_equal_builds_from_scratch_ladder_included(daily, from_scratch):
    for built, scratch in zip(daily, from_scratch, strict=True):
        with duckdb.connect(str(built)) as inc, duckdb.connect(str(scratch)) as ref:
            for table in ("ladder", "ladder_counts", "ladder_movement", "person_campaign_funnel"):
                query = (
                    f"select * exclude (loaded_at) from marts.{table}"
                    if "funnel" in table
                    else (f"select * from marts.{table}")
                )
                rows = [sorted(con.sql(query).fetchall(), key=repr) for con in (inc, ref)]
                assert rows[0] == rows[1], table
    two, three = daily
    with duckdb.connect(str(two)) as con:
        found = rungs(con)
        # today is 09-30, a month's end: Finn clicked that day; Cleo's late 07-15 click
        # lifts her 08-31 and today (07-03 … 09-30); Hana, new, is an opener on the
        # month ends her 06-15 open reaches
        assert found["p006"] == ["listed", "listed", "listed", "clicker"]
        assert found["p003"] == ["clicker", "clicker", "clicker", "clicker"]
        assert found["p008"] == ["opener", "opener", "opener", "listed"]
    with duckdb.connect(str(three)) as con:
        days = con.sql("select distinct ladder_day, is_today from marts.ladder order by 1").fetchall()
        assert days[-2:] == [(D("2026-09-30"), False), (D("2026-10-02"), True)]
        assert rungs(con)["p006"][-2:] == ["clicker", "clicker"]
