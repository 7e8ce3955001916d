"""`make bench`: rollcall against a hand-written DuckDB baseline, side by side, in one run.

1. Generates the landing folder once (cached under bench/cache/, or
   $ROLLCALL_BENCH_CACHE): by default 1,000,000 people, 40 campaigns, each
   emailed to 30% of them (~28M SendGrid events, ~8.8 GB).
2. Runs the baseline (bench/baseline.sql) and a full `rollcall run` on it,
   each in its own process, measuring wall time and peak memory; before
   each, every landed file is read once, so both start with a warm page cache.
3. Lands a new day (about 1% more events) and runs `rollcall run` again,
   then once more with nothing new (it should return at once, publishing nothing).
4. Times cohort questions, p50/p95 over 60 runs each (enough that one slow run does
   not make the p95), as the CLI asks them
   (a fresh read-only connection per question).
5. Prints the table and writes it to bench/results.md with the date and machine.

`--gzip` lands the bulk exports gzip-compressed (an eighth of the disk);
`--no-baseline` leaves the baseline out (at five times the default size it
needs more memory than the machine has) and `--no-new-day` the new day.

Usage: python bench/run.py [--people N] [--campaigns K] [--email-share F] [--runs 60]
                           [--gzip] [--no-baseline] [--no-new-day]
                           [--keep-warehouse FILE] [--results FILE]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pyarrow.csv as pacsv

from pipelines.lib.runstate import DBT_DIR
from pipelines.lib.warehouse import build_path, ensure_build, raw_path

HERE = Path(__file__).resolve().parent
PY = sys.executable


def timed(cmd: list[str]) -> tuple[float, float, str]:
    """Run a command; its wall seconds, peak RSS in GB (it or any child it waited for), stdout."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            raise SystemExit(f"bench: {' '.join(cmd[:3])} … failed:\n{err.read()[-2000:]}")
        return wall, usage.ru_maxrss / 1024 / 1024, out.read()


def read_through(landing: Path) -> float:
    """Read every landed file once, so each contender starts with them in the page cache (as far
    as memory holds them): GB read.

    The baseline ran first on whatever the cache held and rollcall right after it, on files
    the baseline had just read: on the 1M sample the baseline's SendGrid load took 46 s after
    other work had pushed the files out and 20 s when they were still cached, while rollcall's
    took 47–54 s either way (it reads each new file whole first, for its digest).
    """
    total = 0
    for path in sorted(landing.rglob("*")):
        if path.is_file():
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 24):
                    total += len(chunk)
    return total / 1e9


def landing_for(args) -> Path:
    cache = Path(os.environ.get("ROLLCALL_BENCH_CACHE", HERE / "cache"))
    packed = "-gz" if args.gzip else ""
    # The generator's own digest names the folder: a changed generator never reuses an old sample.
    generator = hashlib.sha256((HERE.parent / "pipelines" / "lib" / "sample.py").read_bytes()).hexdigest()[:8]
    landing = cache / f"landing-{args.people}-{args.campaigns}-{args.email_share}{packed}-{generator}"
    if not (landing / "campaigns.yml").exists():
        print(f"generating {landing} (once) …", flush=True)
        tmp = landing.with_name(landing.name + ".partial")
        shutil.rmtree(tmp, ignore_errors=True)
        subprocess.run(
            [
                PY,
                "-m",
                "pipelines.lib.sample",
                "--out",
                str(tmp),
                "--people",
                str(args.people),
                "--campaigns",
                str(args.campaigns),
                "--email-share",
                str(args.email_share),
                *(["--gzip"] if args.gzip else []),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tmp.rename(landing)
    return landing


def new_day(landing: Path, day: Path, share: float = 0.01) -> int:
    """A landing folder with every file of `landing` (linked) plus a day of new events.

    The new day is what a day brings: as many new SendGrid events as 1% of
    those landed (a sample of them, with new ids) and 1% more texts, all
    dated on the day after the last landed event, as a new export and a new
    message log. (A new day's events cannot be dated months back: the
    first version of this bench shifted each sampled event by a day,
    spreading the "day" over the whole year, which made every month's
    ladder and most funnel rows change.)
    """
    shutil.rmtree(day, ignore_errors=True)
    for source in ("people", "sendgrid", "twilio_messages", "twilio_calls", "actionnetwork_actions"):
        for f in (landing / source).rglob("*"):
            if f.is_file():
                link = day / f.relative_to(landing)
                link.parent.mkdir(parents=True, exist_ok=True)
                link.symlink_to(f)
        (day / source).mkdir(parents=True, exist_ok=True)
    (day / "campaigns.yml").symlink_to(landing / "campaigns.yml")
    con = duckdb.connect()
    events = f"""read_json('{landing}/sendgrid/*.ndjson*', format = 'newline_delimited', ignore_errors = true,
                           union_by_name = true)"""
    last = con.execute(f'select max(try_cast("timestamp" as bigint)) from {events}').fetchone()[0]
    start = (last // 86400 + 1) * 86400  # midnight UTC after the last landed event
    con.execute(
        f"""
        copy (
            select * replace (sg_event_id || '-d2' as sg_event_id,
                              {start} + cast(hash(sg_event_id) % 86400 as bigint) as "timestamp")
            from {events}
            where sg_event_id is not null using sample {share * 100}% (bernoulli, 7)
        ) to '{day}/sendgrid/zz-next-day.ndjson' (format json)
        """
    )
    seconds = f"({start} + cast(hash(sid) % 86400 as bigint))"
    sent = f"strftime(make_timestamp({seconds} * 1000000), '%a, %d %b %Y %H:%M:%S +0000')"
    con.execute(
        f"""
        copy (
            select * replace (sid || 'D2' as sid,
                              case when date_sent is not null then {sent} end as date_sent,
                              case when "SentDate" is not null then {sent} end as "SentDate")
            from read_csv('{landing}/twilio_messages/*.csv*', all_varchar = true, union_by_name = true)
            where sid is not null using sample {share * 100}% (bernoulli, 7)
        ) to '{day}/twilio_messages/zz-next-day.csv' (header)
        """
    )
    return con.sql(f"select count(*) from read_json('{day}/sendgrid/zz-next-day.ndjson')").fetchall()[0][0]


# Each source's ingest step beside the baseline's table of the same files.
SOURCE_ROWS = [
    ("SendGrid events", "ingest_sendgrid", "events"),
    ("Twilio messages", "ingest_twilio_messages", "messages"),
    ("Twilio calls", "ingest_twilio_calls", "calls"),
    ("people", "ingest_people", "people"),
    ("Action Network actions", "ingest_actionnetwork_actions", "actions"),
]


def funnel_alone(warehouse: Path, target: Path) -> tuple[float, dict]:
    """What the baseline builds, built by rollcall: the funnel and every model it reads, from
    scratch, no tests (`dbt run`), on the run's build file. Wall seconds, and dbt's profile."""
    # The last publish moved the working file to the published path: made again first.
    ensure_build(build_path(warehouse))
    env = os.environ | {"ROLLCALL_BUILD_DB": str(build_path(warehouse)), "ROLLCALL_WAREHOUSE": str(warehouse)}
    dbt = [str(Path(PY).with_name("dbt")), "run", "--select", "+person_campaign_funnel", "--full-refresh"]
    project = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--target-path", str(target)]
    started = time.perf_counter()
    subprocess.run([*dbt, *project], env=env, check=True, capture_output=True)
    wall = time.perf_counter() - started
    return wall, dbt_profile(target / "run_results.json")


def rollcall_run(landing: Path, warehouse: Path) -> tuple[float, float, dict]:
    code = (
        "import json, sys; from pathlib import Path; from pipelines.run import run_all; "
        "from pipelines.cli import leave; "
        "s = run_all(Path(sys.argv[1]), Path(sys.argv[2])); print(json.dumps(s.steps)); leave(0)"
    )
    wall, peak, out = timed([PY, "-c", code, str(landing), str(warehouse)])
    return wall, peak, json.loads(out.strip().splitlines()[-1])


def latest_models_run(since: float) -> Path | None:
    """The run_results.json of the last `rollcall_dbt_models` run newer than `since`, if any."""
    runs = [
        path
        for path in (DBT_DIR / "target").glob("rollcall_dbt_models-*/run_results.json")
        if path.stat().st_mtime >= since
    ]
    return max(runs, key=lambda path: path.stat().st_mtime) if runs else None


def dbt_profile(results: Path | None, top: int = 8) -> dict:
    """Where a dbt run (its run_results.json) spent its time, in seconds: dbt's own elapsed
    time, the sum over models and over tests (four threads run them, so the sums can exceed
    it), and the slowest nodes."""
    if results is None:
        return {}
    run = json.loads(results.read_text())
    nodes = [
        (r["unique_id"].split(".")[0], r["unique_id"].split(".")[2], r["execution_time"])
        for r in run["results"]
    ]
    slowest = sorted(nodes, key=lambda node: -node[2])[:top]
    return {
        "elapsed": round(run["elapsed_time"], 1),
        "models": round(sum(t for kind, _, t in nodes if kind == "model"), 1),
        "tests": round(sum(t for kind, _, t in nodes if kind == "test"), 1),
        "slowest": {f"{kind} {name}": round(t, 1) for kind, name, t in slowest},
    }


def cohort_timings(warehouse: Path, runs: int) -> list[tuple]:
    from pipelines.lib import cohorts
    from pipelines.lib.warehouse import connect_read

    with connect_read(warehouse) as con:
        campaign = con.sql(
            "select campaign_id from marts.campaigns where ask = 'call' and email_campaign_id is not null "
            "order by starts limit 1"
        ).fetchall()[0][0]
        state = con.sql(
            "select province_or_state from marts.people where country = 'US' "
            "group by 1 order by count(*) desc limit 1"
        ).fetchall()[0][0]
    questions = [
        ("count: opened, not called in 7 days", dict(did="opened", did_not="called", within_days=7), "count"),
        ("count: opened, never called", dict(did="opened", did_not="called"), "count"),
        (
            f"count: + state {state}, reachable by SMS",
            dict(did="opened", did_not="called", within_days=7, state=state, reachable="sms"),
            "count",
        ),
        (
            "rows → CSV: opened, not called in 7 days",
            dict(did="opened", did_not="called", within_days=7),
            "rows",
        ),
        ("rows → CSV: delivered, reachable by email", dict(did="delivered", reachable="email"), "rows"),
    ]
    out = Path(tempfile.mkdtemp()) / "cohort.csv"

    def ask(con, cohort, kind) -> int:
        if kind == "count":
            return cohorts.count(con, cohort)
        table = cohorts.members(con, cohort)
        pacsv.write_csv(table, out)
        return table.num_rows

    def fresh(question) -> tuple[float, float]:
        """p50/p95 of `question(con)` as one `rollcall cohort` call asks it: opening the file first."""

        def once() -> None:
            with connect_read(warehouse) as con:
                question(con)

        return _p50_p95(runs, once)

    with connect_read(warehouse) as con:
        total_people = con.sql("select count(*) from marts.people").fetchall()[0][0]
    results = [
        # The floor under every fresh-connection time: DuckDB opening the file, no
        # question asked; and under that, a DuckDB database started with no file at
        # all (registering its built-in extensions' functions), which no reader avoids.
        (
            "start DuckDB in memory, no file, no question",
            None,
            None,
            *_p50_p95(runs, lambda: duckdb.connect().close()),
            None,
        ),
        ("open and close the published file, no question (the floor)", None, None, *fresh(_nothing), None),
    ]
    for label, question, kind in questions:
        asked = functools.partial(ask, cohort=cohorts.Cohort(campaign=campaign, **question), kind=kind)
        # As the dashboard asks: on a connection already open to the published file.
        with connect_read(warehouse) as con:
            size = asked(con)
            warm = _p50_p95(runs, functools.partial(asked, con))
        results.append((label, *warm, *fresh(asked), size))
        if kind == "rows":
            # The floor under it: about as many people's rows (COLUMNS) read from marts.people
            # and written to CSV the same way, no campaign, join or order. A cohort's people sit
            # in every row group of marts.people, so any slice of the same size spread over all
            # of them (here, a share of person_keys) is read the same way.
            share = max(1, round(10_000 * size / total_people))
            sql = f"select {', '.join(cohorts.COLUMNS)} from marts.people where person_key % 10000 < {share}"
            with connect_read(warehouse) as con:
                rows = con.sql(f"select count(*) from ({sql})").fetchall()[0][0]

            def floor(con, sql=sql) -> None:
                pacsv.write_csv(con.sql(sql).to_arrow_table(), out)

            label = "  the floor under it: as many rows of marts.people to CSV, no question"
            results.append((label, None, None, *fresh(floor), rows))
    return results


def _nothing(con) -> None:
    pass


def _p50_p95(runs: int, action) -> tuple[float, float]:
    """The median and 95th percentile of `runs` timings of `action()`, in ms."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--campaigns", type=int, default=40)
    parser.add_argument("--email-share", type=float, default=0.3)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--gzip", action="store_true", help="land the bulk exports gzip-compressed")
    parser.add_argument("--no-baseline", action="store_true", help="leave the baseline script out")
    parser.add_argument("--no-new-day", action="store_true", help="leave the new day out")
    parser.add_argument("--keep-warehouse", type=Path, help="move the published warehouse here at the end")
    parser.add_argument(
        "--results", type=Path, default=HERE / "results.md", help="the table's file (bench/results.md)"
    )
    args = parser.parse_args()

    landing = landing_for(args)
    # The 1M warehouse is ~10 GB and a run keeps its build and published
    # copies: the work folder goes away even when a stage fails.
    work = Path(tempfile.mkdtemp(prefix="rollcall-bench-"))
    try:
        measure(args, landing, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(args, landing: Path, work: Path) -> None:
    events = sum(1 for _ in (landing / "sendgrid").iterdir())
    print(f"landing: {landing} ({events} SendGrid files); work: {work}", flush=True)

    baseline: dict = {}
    b_wall = b_peak = None
    if not args.no_baseline:
        warmed = read_through(landing)
        print(f"baseline … (landing read through first: {warmed:.1f} GB)", flush=True)
        baseline_cmd = [PY, str(HERE / "baseline.py"), str(landing), str(work / "baseline.duckdb")]
        b_wall, b_peak, b_out = timed(baseline_cmd)
        baseline = json.loads(b_out)
        print(f"  baseline: {b_wall:.1f} s, peak {b_peak:.1f} GB, stages {b_out.strip()}", flush=True)
        (work / "baseline.duckdb").unlink()

    warmed = read_through(landing)
    print(f"rollcall run (full) … (landing read through first: {warmed:.1f} GB)", flush=True)
    warehouse = work / "warehouse.duckdb"
    started = time.time()
    r_wall, r_peak, steps = rollcall_run(landing, warehouse)
    full_models = dbt_profile(latest_models_run(started))
    load = sum(v for k, v in steps.items() if k.startswith("ingest_"))
    transform = sum(v for k, v in steps.items() if "dbt" in k)
    print(f"  rollcall: {r_wall:.1f} s, peak {r_peak:.1f} GB, steps {json.dumps(steps)}", flush=True)
    # The events live in the raw file beside the build (never published).
    with duckdb.connect(str(raw_path(build_path(warehouse))), read_only=True) as con:
        sent = con.sql("select count(*) from sendgrid_events").fetchall()[0][0]
    publish = steps.get("published_warehouse")

    rows = [
        ("load the landed files", load, baseline.get("load"), None),
        *[
            (f"  {label}", steps.get(step, 0.0), baseline.get(f"load {table}"), None)
            for label, step, table in SOURCE_ROWS
        ],
        (
            "normalise, resolve, attribute, build every mart",
            transform,
            baseline["normalise and join"] + baseline["funnel"] if baseline else None,
            None,
        ),
        ("full build, landing → published marts (wall)", r_wall, b_wall, (r_peak, b_peak)),
    ]
    if publish is not None:
        rows.insert(len(rows) - 1, ("publish (checkpoint, fsync, rename)", publish, None, None, "—"))
    d_steps: dict = {}
    day_models: dict = {}
    if not args.no_new_day:
        print("a new day …", flush=True)
        day = work / "landing-day2"
        # In a process of its own: a child forked from a bench grown by this
        # DuckDB work would count the bench's memory in its own peak.
        made = subprocess.run(
            [
                PY,
                "-c",
                "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); "
                "from run import new_day; print(new_day(Path(sys.argv[2]), Path(sys.argv[3])))",
                str(HERE),
                str(landing),
                str(day),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        added = int(made.stdout.split()[-1])
        started = time.time()
        d_wall, d_peak, d_steps = rollcall_run(day, warehouse)
        day_models = dbt_profile(latest_models_run(started))
        rows.append(
            (
                f"a new day (+{added:,} email events), ingest + rebuild (wall)",
                d_wall,
                None,
                (d_peak, None),
                f"{d_wall / r_wall:.1%} of the full build",
            )
        )
        print("nothing new …", flush=True)
        n_wall, n_peak, _ = rollcall_run(day, warehouse)
        rows.append(("a run with nothing new (wall)", n_wall, None, (n_peak, None), "—"))

    print("cohorts …", flush=True)
    cohort_rows = cohort_timings(warehouse, args.runs)

    alone: tuple[float, dict] | None = None
    if baseline:
        # Last, on the build file (the published copy is not touched): what the baseline
        # builds, by rollcall's models alone. After the new day it reads 1% more events than
        # the baseline did.
        print("the funnel alone …", flush=True)
        alone = funnel_alone(warehouse, work / "funnel-alone")
        like = load + alone[0]
        rows += [
            (
                "like for like: the funnel and the models it reads alone, from scratch, no tests "
                "(`dbt run`, start included)",
                alone[0],
                baseline["normalise and join"] + baseline["funnel"],
                None,
            ),
            ("like for like: load + the funnel alone", like, b_wall, None),
            (
                "what the baseline does not build: every other mart, the tests, segments, publish, "
                "Dagster (full build − like for like)",
                r_wall - like,
                None,
                None,
                f"{(r_wall - like) / r_wall:.0%} of the full build",
            ),
        ]

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines = [
        f"# rollcall benchmark — {dt.date.today().isoformat()}",
        "",
        f"Machine: {platform.node()}, {os.cpu_count()} cores, "
        f"{memory:.0f} GB, Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}.",
        f"Data: {args.people:,} people, {args.campaigns} campaigns, email share {args.email_share}, "
        f"{sent:,} SendGrid events landed{' (bulk exports gzip-compressed)' if args.gzip else ''} "
        f"(`{' '.join(['bench/run.py', *sys.argv[1:]])}`).",
        "",
        "| stage | rollcall s | baseline s | ratio | peak memory rollcall / baseline |",
        "|---|---:|---:|---:|---|",
    ]
    for label, mine, theirs, peaks, *note in rows:
        ratio = f"{mine / theirs:.2f}×" if theirs else (note or ["—"])[0]
        peak = ""
        if peaks:
            peak = f"{peaks[0]:.1f} GB" + (f" / {peaks[1]:.1f} GB" if peaks[1] else "")
        lines.append(f"| {label} | {mine:.1f} | {f'{theirs:.1f}' if theirs else '—'} | {ratio} | {peak} |")
    lines += [
        "",
        f"rollcall steps (full build): {json.dumps(steps)}",
        f"rollcall steps (new day): {json.dumps(d_steps) if d_steps else 'not run (--no-new-day)'}",
        f"baseline stages: {json.dumps(baseline) if baseline else 'not run (--no-baseline)'}",
        f"dbt models run (full build), s: {json.dumps(full_models)}",
        f"dbt models run (new day), s: {json.dumps(day_models)}",
        f"dbt run of the funnel alone, s: {json.dumps(alone[1]) if alone else 'not run (--no-baseline)'}",
        "",
        f"| cohort question ({args.runs} runs each) | open connection p50 / p95 ms "
        "| fresh connection p50 / p95 ms | people |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| {label} | {'—' if w50 is None else f'{w50:.0f} / {w95:.0f}'} | {f50:.0f} / {f95:.0f} "
        f"| {'—' if size is None else f'{size:,}'} |"
        for label, w50, w95, f50, f95, size in cohort_rows
    ]
    text = "\n".join(lines) + "\n"
    print("\n" + text)
    args.results.write_text(text)
    if args.keep_warehouse:
        shutil.move(warehouse, args.keep_warehouse)
        # and its raw file, where a build of the kept file looks for it (bench/ablate.py --warehouse)
        shutil.move(raw_path(build_path(warehouse)), raw_path(build_path(args.keep_warehouse)))


if __name__ == "__main__":
    main()
