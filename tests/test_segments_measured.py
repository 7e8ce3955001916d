"""The segments' dbt step (models/segments) starts dbt only when it has something to measure.

With no saved segment its tables are empty whatever the marts hold; a run
that finds them so, built by the same models, leaves them (dbt's start is
~10 s a run). A segment added, or the last one taken away, builds them again.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.lib import segments as seg
from pipelines.run import run_all
from tests.conftest import copy_built
from tests.test_segments_e2e import PHARMACARE_SEGMENT

# The push tests' segment, exported to CSV only (no Action Network in this test).
PHARMACARE = PHARMACARE_SEGMENT.replace("[csv, actionnetwork]", "[csv]")


def _state(warehouse: Path) -> tuple[list[int], int, int]:
    """(segments counted at each dbt build of models/segments, outcome rows, lift rows) as published."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        measured = [
            n for (n,) in con.sql("select segments from segments.measured order by measured_at").fetchall()
        ]
        outcomes = con.sql("select count(*) from segments.segment_outcomes").fetchall()[0][0]
        lift = con.sql("select count(*) from segments.segment_lift").fetchall()[0][0]
    finally:
        con.close()
    return measured, outcomes, lift


def test_no_saved_segment_leaves_the_lift_tables_a_segment_added_or_removed_builds_them(built, tmp_path):
    landing, warehouse = copy_built(built, tmp_path)
    # The session's build had no segments.yml: dbt measured no segment once.
    assert _state(warehouse) == ([0], 0, 0)

    # A segments.yml with no segment (a run happens: the file is new): nothing to measure, dbt not started.
    seg.segments_path(landing).write_text("segments: []\n", encoding="utf-8")
    run_all(landing, warehouse)
    assert _state(warehouse) == ([0], 0, 0)

    # A segment added: measured, with rows.
    seg.segments_path(landing).write_text(PHARMACARE, encoding="utf-8")
    run_all(landing, warehouse)
    measured, outcomes, lift = _state(warehouse)
    assert measured == [0, 1]
    assert outcomes > 0 and lift == 1

    # The segment taken away: built again (the old rows would otherwise stay), empty.
    seg.segments_path(landing).write_text("segments: []\n", encoding="utf-8")
    run_all(landing, warehouse)
    assert _state(warehouse) == ([0, 1, 0], 0, 0)
