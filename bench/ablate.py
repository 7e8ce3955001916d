"""What each guarantee of the loads costs in wall time, measured by taking it out.

    uv run python bench/ablate.py [--runs N] [LANDING]

LANDING is a bench sample (by default the 1M one in ROLLCALL_BENCH_CACHE).
Two measurements, each variant run N times (default 2), the variants
alternating so the machine's hour weighs on all of them alike:

* the loads: each source loaded alone into a fresh raw file through
  `ingest.load_source`, on the connection a run's ingest opens, as it is and
  with one guarantee replaced by nothing: the SHA-256 of every landed file (a
  file seen before is never loaded twice; each file's lines are still counted),
  the numbered reread that gives a rejected SendGrid row its line, the exact
  SendGrid dedupe;
* the SendGrid insert: the one statement that lands the events in bulk, as it
  is, without each of its parts (the id hash the dedupe compares, the email
  check, the file each row came from), and the baseline's own read of the same
  files into a table (bench/baseline.sql), written to a fresh file each time;
* with --warehouse (a build kept by `bench/run.py --keep-warehouse FILE`, its
  raw file beside it): the statement that builds marts.campaign_touchpoints
  from scratch, as it is and without its order (by campaign and action: the
  cohorts' "within N days" reads one campaign's slice) or without its string
  touchpoint ids.

Prints the mean wall time of each variant and its difference from "as it is".
The machine should be otherwise idle (check `ps`); it takes about 10 minutes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.lib import ingest
from pipelines.lib.warehouse import build_path, connect_raw, memory_limit, raw_path

HERE = Path(__file__).resolve().parent
LOADS = ("sendgrid", "twilio_messages", "twilio_calls", "people", "actionnetwork_actions")


def default_landing() -> Path:
    cache = Path(os.environ.get("ROLLCALL_BENCH_CACHE", HERE / "cache"))
    found = sorted(p for p in cache.glob("landing-1000000-40-0.3-*") if "-gz-" not in p.name)
    if not found:
        raise SystemExit(f"bench/ablate.py: no 1M sample in {cache} (make bench writes one)")
    return found[-1]


def _lines_only(path) -> str:
    """file_sha256 without SHA-256: the file read and its line shape kept, as the digest's read does."""
    with open(path, "rb") as handle:
        if str(path).endswith(".gz"):
            while handle.read(1 << 24):
                pass
        else:
            counter = ingest._LineCounter()
            while chunk := handle.read(1 << 24):
                counter.add(chunk)
            stat = os.fstat(handle.fileno())
            ingest._SHAPES[str(path)] = (stat.st_size, stat.st_mtime_ns, counter.shape())
    return "ablated:" + str(path)


@contextmanager
def _without(guarantee: str):
    """One guarantee of the loads replaced by nothing, for the length of the block."""
    saved = (ingest.file_sha256, ingest._sendgrid_numbered_rejects, dict(ingest._AFTER_COMMIT))
    if guarantee == "sha256":
        ingest.file_sha256 = _lines_only
    elif guarantee == "numbered reread":
        ingest._sendgrid_numbered_rejects = lambda *args, **kwargs: []
    elif guarantee == "dedupe":
        ingest._AFTER_COMMIT.clear()
    try:
        yield
    finally:
        ingest.file_sha256, ingest._sendgrid_numbered_rejects = saved[:2]
        ingest._AFTER_COMMIT.clear()
        ingest._AFTER_COMMIT.update(saved[2])


def _load_once(landing: Path, source: str, scratch: Path) -> float:
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    with connect_raw(scratch / "ablate.duckdb.build") as con:
        started = time.perf_counter()
        ingest.load_source(con, landing, source)
        return time.perf_counter() - started


def loads(landing: Path, runs: int, scratch: Path) -> dict[str, dict[str, list[float]]]:
    plans = {source: ["as it is", "sha256"] for source in LOADS}
    plans["sendgrid"] += ["numbered reread", "dedupe"]
    times: dict[str, dict[str, list[float]]] = {source: defaultdict(list) for source in LOADS}
    for _ in range(runs):
        for source, variants in plans.items():
            for variant in variants:
                with _without(variant):
                    times[source][variant].append(_load_once(landing, source, scratch))
    return times


def _replaced(sql: str, part: str, instead: str) -> str:
    """`sql` with `part` replaced; an error if it is not there (the insert changed: this must too)."""
    if part not in sql:
        raise SystemExit(f"bench/ablate.py: the SendGrid insert no longer has {part!r}")
    return sql.replace(part, instead)


def insert_variants() -> dict[str, str]:
    """The bulk SendGrid insert's select (ingest's own), as it is and with one part taken out each,
    and the baseline's read of the same exports (bench/baseline.sql's own statement)."""
    typed = ingest._sendgrid_typed("newline_delimited", ignore_errors=True)
    as_is = ingest._sendgrid_rows(ingest._sendgrid_checked(typed))
    script = (HERE / "baseline.sql").read_text()
    events = (
        script[script.index("create table events as") :].split(";")[0].removeprefix("create table events as")
    )
    return {
        "as it is": as_is,
        "no id hash (dedupe)": _replaced(as_is, ingest.ID_HASH, "null::bigint"),
        "no email check": _replaced(
            as_is, f"regexp_matches(lower(trim(email)), '{ingest.EMAIL_PATTERN}')", "true"
        ),
        "no source file (lineage)": _replaced(as_is, "filename, $now", "null::varchar, $now"),
        "baseline's read": _replaced(events, "'{landing}/sendgrid/*'", "$paths"),
    }


def inserts(landing: Path, runs: int, scratch: Path) -> dict[str, list[float]]:
    paths = [str(p) for p in ingest.source_files(landing, "sendgrid") if p.suffix == ".ndjson"]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    times: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        for name, select in insert_variants().items():
            shutil.rmtree(scratch, ignore_errors=True)
            scratch.mkdir(parents=True)
            config = {"memory_limit": memory_limit(), "temp_directory": str(scratch / "spill")}
            with duckdb.connect(str(scratch / "insert.duckdb"), config=config) as con:
                params = {"paths": paths} | ({"now": now} if "$now" in select else {})
                started = time.perf_counter()
                con.execute(f"create table events as {select}", params)
                con.execute("checkpoint")
                times[name].append(time.perf_counter() - started)
    return times


def touchpoints(warehouse: Path, runs: int, scratch: Path) -> dict[str, list[float]]:
    """marts.campaign_touchpoints' full-build statement, three ways, into a copy of the warehouse."""
    select = (
        "select touchpoint_id, campaign_key, campaign_id, person_key, action, occurred_at, loaded_at "
        "from intermediate.int_campaign_actions"
    )
    variants = {
        "as it is": f"{select} order by campaign_key, action",
        "no order": select,
        "no touchpoint ids": select.replace("select touchpoint_id,", "select null::varchar as touchpoint_id,")
        + " order by campaign_key, action",
    }
    scratch.mkdir(parents=True, exist_ok=True)
    copy = scratch / "touchpoints.duckdb"
    shutil.copyfile(warehouse, copy)
    times: dict[str, list[float]] = defaultdict(list)
    config = {"memory_limit": memory_limit(), "temp_directory": str(scratch / "spill")}
    with duckdb.connect(str(copy), config=config) as con:
        con.execute(f"attach '{raw_path(build_path(warehouse))}' as raw (read_only)")
        for _ in range(runs):
            for name, sql in variants.items():
                con.execute("drop table if exists main.ablated_touchpoints")
                started = time.perf_counter()
                con.execute(f"create table main.ablated_touchpoints as {sql}")
                con.execute("checkpoint")
                times[name].append(time.perf_counter() - started)
    return times


def _report(title: str, times: dict[str, list[float]]) -> None:
    mean = {name: statistics.mean(values) for name, values in times.items()}
    print(title)
    for name, value in mean.items():
        runs = " / ".join(f"{v:.1f}" for v in times[name])
        delta = "" if name == "as it is" else f"  {value - mean['as it is']:+6.1f} s"
        print(f"  {name:<28} {value:6.1f} s  ({runs}){delta}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("landing", nargs="?", type=Path)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--warehouse", type=Path, help="a kept build: campaign_touchpoints' statement too")
    parser.add_argument("--no-loads", action="store_true", help="leave the loads and the insert out")
    args = parser.parse_args()
    landing = (args.landing or default_landing()).resolve()
    scratch = Path(tempfile.mkdtemp(prefix="rollcall-ablate-"))
    try:
        print(f"{landing}, {args.runs} runs a variant, alternating")
        if args.warehouse:
            _report(
                "marts.campaign_touchpoints from scratch, one statement (without …)",
                touchpoints(args.warehouse.resolve(), args.runs, scratch / "touchpoints"),
            )
        if args.no_loads:
            return
        # the first load of a process pays DuckDB's and the readers' start: paid here, not timed
        _load_once(landing, "twilio_calls", scratch / "load")
        for source, times in loads(landing, args.runs, scratch / "load").items():
            _report(f"load {source} (without …)", times)
        _report(
            "the bulk SendGrid insert of the NDJSON exports, written to a fresh file (without …)",
            inserts(landing, args.runs, scratch / "insert"),
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
