"""The lift model on generated data with a known planted effect (dbt on a real DuckDB file).

4,000 people enter a segment with a 50% holdout (the real stable-hash
assignment). Inside the 7-day window, treatment members call with
probability 0.30 and control members 0.20: a planted lift of 0.10. Decoys
that must not count: calls before entry, after the window, or for another
campaign. The model must count exactly who converted, and its 95% interval
must cover the planted 0.10 (and, with this many people, exclude 0).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import segments as seg

ENTERED = dt.datetime(2026, 6, 10, 9, 0)
PLANTED = {"treatment": 0.30, "control": 0.20}


def generate(path: Path, n: int = 4000, seed: int = 20260610) -> dict[str, list[int]]:
    rng = random.Random(seed)
    segment = seg.Segment(
        id="planted", name_en="Planted", name_fr="Planté", cohort=None, channel="sms", holdout=50
    )
    con = duckdb.connect(str(path))
    seg.ensure_schema(con)
    con.execute("create schema marts")
    con.execute(
        "create table marts.campaign_touchpoints (touchpoint_id varchar, campaign_id varchar,"
        " person_key bigint, action varchar, occurred_at timestamp)"
    )
    # the actions a segment's outcome is made of (dbt's action_meanings): a call is a call
    con.execute("create table marts.action_meanings as select 'called' as meaning, 'called' as action")
    # the people segment_lift_by_affiliate groups by: one affiliate for everyone
    con.execute("create table marts.people (person_id varchar, person_key bigint, affiliate varchar)")
    con.execute(
        "insert into marts.people select 'p' || lpad(i::varchar, 5, '0'), i, 'A' from range(?) t(i)", [n]
    )
    con.execute(
        "insert into segments.definitions (segment_id, name_en, name_fr, channel, holdout_percent,"
        " outcome_campaign_id, outcome_event, outcome_window_days)"
        " values ('planted', 'Planted', 'Planté', 'sms', 50, 'c1', 'called', 7)"
    )
    members, actions = [], []
    outcome = {"treatment": [0, 0], "control": [0, 0]}  # arm → [n, converted]
    for i in range(n):
        person, arm = f"p{i:05d}", segment.arm(f"p{i:05d}")
        members.append(("planted", person, arm, ENTERED, None))
        outcome[arm][0] += 1
        if rng.random() < PLANTED[arm]:
            outcome[arm][1] += 1
            at = ENTERED + dt.timedelta(seconds=rng.randrange(7 * 24 * 3600 + 1))
            actions.append((f"call:{i}", "c1", i, "called", at))
        decoy = rng.random()
        if decoy < 0.1:
            before = ENTERED - dt.timedelta(hours=1)
            actions.append((f"call:{i}:before", "c1", i, "called", before))
        elif decoy < 0.2:
            actions.append((f"call:{i}:late", "c1", i, "called", ENTERED + dt.timedelta(days=8)))
        elif decoy < 0.3:
            actions.append((f"call:{i}:other", "c2", i, "called", ENTERED + dt.timedelta(days=1)))
    con.executemany("insert into segments.membership values (?, ?, ?, ?, ?)", members)
    con.executemany("insert into marts.campaign_touchpoints values (?, ?, ?, ?, ?)", actions)
    con.close()
    return outcome


@pytest.fixture(scope="module")
def lift(tmp_path_factory, dbt) -> tuple[dict, dict]:
    tmp = tmp_path_factory.mktemp("lift")
    path = tmp / "warehouse.duckdb"
    planted = generate(path)
    dbt(path, "--select", "path:models/segments")  # models, data tests and unit tests
    con = duckdb.connect(str(path))  # as dbt's in-process connection was opened
    row = con.sql("select * from segments.segment_lift").to_arrow_table().to_pylist()
    by_affiliate = con.sql("select * exclude (affiliate) from segments.segment_lift_by_affiliate").fetchall()
    whole = con.sql("select * from segments.segment_lift").fetchall()
    con.close()
    # everyone is in affiliate A: its row is the federation's, by the same formula
    assert by_affiliate == whole
    assert len(row) == 1
    return planted, row[0]


def test_counts_exactly_who_converted_inside_the_window(lift):
    planted, row = lift
    assert (row["n_treatment"], row["converted_treatment"]) == tuple(planted["treatment"])
    assert (row["n_control"], row["converted_control"]) == tuple(planted["control"])


def test_lift_and_wald_interval_match_the_formula(lift):
    planted, row = lift
    (n_t, c_t), (n_c, c_c) = planted["treatment"], planted["control"]
    p_t, p_c = c_t / n_t, c_c / n_c
    margin = 1.96 * math.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    assert row["lift"] == pytest.approx(p_t - p_c, abs=1e-6)
    assert row["lift_ci_low"] == pytest.approx(p_t - p_c - margin, abs=1e-6)
    assert row["lift_ci_high"] == pytest.approx(p_t - p_c + margin, abs=1e-6)


def test_the_interval_covers_the_planted_effect_and_excludes_zero(lift):
    _, row = lift
    planted_lift = PLANTED["treatment"] - PLANTED["control"]
    assert row["lift_ci_low"] <= planted_lift <= row["lift_ci_high"]
    assert row["lift_ci_low"] > 0
