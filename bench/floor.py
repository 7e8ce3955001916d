"""Where a SendGrid event's ingest time goes, step by step, beside the baseline's one read.

    uv run python bench/floor.py [EXPORT.ndjson ...]

Reads NDJSON exports (by default the three largest of the 1M bench sample)
the way rollcall's ingest reads a file it cannot give to its one bulk read (an
export with an empty line), one step at a time, and the way the baseline
does (one typed read written straight into a table), and prints microseconds
per event for each step: the measured floor of a careful ingest on this
machine. Each step is needed for a rule: the line numbers of rejected rows
(the line scan and the numbered typed read), the checks and the typed
columns, and the text of the rows rejected (the land step), each event once
(the dedupe).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.lib import ingest

HERE = Path(__file__).resolve().parent


def default_exports() -> list[str]:
    cache = Path(os.environ.get("ROLLCALL_BENCH_CACHE", HERE / "cache"))
    exports = sorted(cache.glob("landing-1000000-*/sendgrid/*.ndjson"), key=lambda p: -p.stat().st_size)
    return [str(p) for p in exports[:3]]


def measure(path: str, scratch: Path) -> dict[str, float]:
    database = scratch / "floor.duckdb"
    for leftover in scratch.glob("floor.duckdb*"):
        leftover.unlink()
    con = duckdb.connect(str(database))
    ingest.ensure_raw_schema(con)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    steps: dict[str, float] = {}

    def step(name, fn):
        started = time.perf_counter()
        result = fn()
        steps[name] = time.perf_counter() - started
        return result

    con.begin()
    lines = step("line count and plainness (Python)", lambda: ingest._line_shape(path).lines)
    lined = step("numbered typed read (JSON reader)", lambda: ingest._sendgrid_aligned(con, path, lines))
    step("check, type, write (land)", lambda: ingest._sendgrid_land(con, lined, {"path": path, "now": now}))
    step("commit", con.commit)
    con.begin()  # the dedupe commits on its own, as in a load (ingest._dedupe_sendgrid_loads)
    step(
        "each event once (dedupe, committed)",
        lambda: (ingest._keep_first_landed_copies(con, now), con.commit()),
    )
    columns = (
        "{sg_event_id: 'VARCHAR', email: 'VARCHAR', event: 'VARCHAR', timestamp: 'BIGINT', "
        "campaign_id: 'VARCHAR', sg_machine_open: 'BOOLEAN'}"
    )
    step(
        "baseline: one typed read, written",
        lambda: con.execute(
            f"""
            create table baseline_events as
            select sg_event_id, lower(trim(email)) as email, event, to_timestamp(timestamp) as at_ts,
                   campaign_id, coalesce(sg_machine_open, false) as machine_open
            from read_json($path, format = 'auto', ignore_errors = true, columns = {columns})
            """,
            {"path": path},
        ),
    )
    con.close()
    return {name: seconds / lines * 1e6 for name, seconds in steps.items()} | {"events": lines}


def main(paths: list[str]) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="rollcall-floor-"))
    runs = [measure(path, scratch) for path in paths for _ in range(2)]
    names = [name for name in runs[0] if name != "events"]
    events = sum(r["events"] for r in runs[::2])
    print(f"{len(paths)} exports, {events:,.0f} events; µs per event, median of {len(runs)} runs")
    rollcall = 0.0
    for name in names:
        value = statistics.median(r[name] for r in runs)
        if not name.startswith("baseline"):
            rollcall += value
        print(f"  {name:<40} {value:6.2f}")
    print(f"  {'rollcall, all steps':<40} {rollcall:6.2f}")


if __name__ == "__main__":
    main(sys.argv[1:] or default_exports())
