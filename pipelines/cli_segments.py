"""`rollcall segments list|build|export|push`: saved segments from the command line.

- `list` reads segments.yml and, when a warehouse is published, each segment's
  current members.
- `build` rebuilds the segments on the current marts, exports them, measures
  their lift and publishes (the Dagster job `segments_build`; no push).
- `export` writes the exports from the published warehouse (read-only).
- `push` syncs each segment's tag in Action Network (ROLLCALL_AN_URL,
  ROLLCALL_AN_TOKEN): mirror mode adds it to who entered and removes it from
  who left or became unreachable; add_only only adds. Its ledger is written to
  the pipeline's working file and published with the next run; a rerun resumes
  where a stopped push left. `--dry-run` prints what would be added and
  removed and sends nothing. A segment whose removals would exceed its cap
  (`action_network.max_remove_pct`, default 20% of the people tagged; or
  `--max-remove-pct`, `--allow-removals`) is refused with one line: exit 3.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb

from pipelines.lib import actionnetwork as an
from pipelines.lib import cohorts
from pipelines.lib import segments as seg
from pipelines.lib import warehouse as wh


def add_parser(sub) -> None:
    s = sub.add_parser("segments", help="saved segments: list, build, export, push to Action Network")
    actions = s.add_subparsers(dest="segments_command", required=True, parser_class=type(s))

    def common(p, one: bool = True) -> None:
        p.add_argument("--landing", help="landing folder holding segments.yml (ROLLCALL_LANDING)")
        p.add_argument("--warehouse", help="warehouse file (ROLLCALL_WAREHOUSE)")
        if one:
            p.add_argument("--segment", metavar="ID", help="only this segment (default: all)")

    common(actions.add_parser("list", help="the segments of segments.yml and their members"), one=False)
    add = actions.add_parser("add", help="save a cohort question as a segment in segments.yml")
    common(add, one=False)
    add.add_argument("--id", help="the segment's id (default: from --name-en)")
    add.add_argument("--name-en", required=True)
    add.add_argument("--name-fr", required=True)
    add.add_argument("--channel", required=True, choices=cohorts.CHANNELS)
    add.add_argument("--holdout", type=int, default=seg.DEFAULT_HOLDOUT, help="percent held out (0–50)")
    add.add_argument("--outcome-event", choices=cohorts.EVENTS, help="default: the cohort's --did-not")
    add.add_argument("--outcome-campaign", help="default: the cohort's campaign")
    add.add_argument("--outcome-within", type=int, default=seg.DEFAULT_OUTCOME_DAYS, metavar="DAYS")
    add.add_argument("--push", action="store_true", help="also push its treatment list to Action Network")
    add.add_argument("--build", action="store_true", help="build it at once (else: on the next run)")
    cohorts.add_arguments(add, exclude=("reachable",))  # the channel sets it
    build = actions.add_parser(
        "build", help="rebuild segments on the current marts, export, measure, publish"
    )
    common(build, one=False)
    build.add_argument("--verbose", action="store_true", help="show Dagster's and dbt's log")
    export = actions.add_parser("export", help="write CSV (Action Network upload shape) and Parquet")
    common(export)
    export.add_argument("--out", help="folder (ROLLCALL_EXPORTS, default exports/ beside the warehouse)")
    export.add_argument("--format", choices=("csv", "parquet", "both"), default="both")
    push = actions.add_parser("push", help="sync segment tags in Action Network (resumable)")
    common(push)
    push.add_argument("--dry-run", action="store_true", help="print how many would be added and removed")
    cap = push.add_mutually_exclusive_group()
    cap.add_argument(
        "--max-remove-pct",
        type=_percent,
        metavar="N",
        help="refuse to remove more than N%% of a segment's tagged people (default: the segment's, 20)",
    )
    cap.add_argument("--allow-removals", action="store_true", help="no removal cap for this run")


def _percent(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"a whole percent from 0 to 100, not {text!r}")
    return value


REFUSED = 3  # exit code: a segment's removals exceeded its cap; nothing was sent for it


def run(args: argparse.Namespace) -> int:
    try:
        return _ACTIONS[args.segments_command](args)
    except seg.SegmentError as exc:
        print(f"rollcall: {exc}", file=sys.stderr)
        return 2
    except duckdb.CatalogException:
        print("rollcall: no segments in the warehouse yet: run `rollcall segments build`", file=sys.stderr)
        return 1


def _segments(args) -> list[seg.Segment]:
    segments = seg.load(seg.segments_path(wh.landing_path(args.landing)))
    return seg.find(segments, getattr(args, "segment", None))


def cmd_list(args) -> int:
    segments = _segments(args)
    if not segments:
        print(f"no segments in {seg.segments_path(wh.landing_path(args.landing))}")
        return 0
    counts: dict[str, tuple[int, int]] = {}
    warehouse = wh.warehouse_path(args.warehouse)
    if warehouse.exists():
        with wh.connect_read(warehouse) as con:
            try:
                rows = con.sql(
                    """
                    select segment_id, count(*) filter (where arm = 'treatment'),
                           count(*) filter (where arm = 'control')
                    from segments.membership where valid_to is null group by 1
                    """
                ).fetchall()
                counts = {sid: (t, c) for sid, t, c in rows}
            except duckdb.CatalogException:
                pass
    for s in segments:
        treatment, control = counts.get(s.id, (0, 0))
        print(
            f"{s.id}\t{s.channel}\t{s.holdout}% held out\t{treatment} treatment, {control} control\t"
            f"{','.join(s.destinations)}\t{s.name_en}"
        )
    return 0


def cmd_add(args) -> int:
    """Save a segment with `segments.save`, the one writer the builder page uses too."""
    landing = wh.landing_path(args.landing)
    entry = seg.define(
        cohorts.Cohort.from_flags(args, reachable=args.channel),
        name_en=args.name_en,
        name_fr=args.name_fr,
        channel=args.channel,
        holdout=args.holdout,
        outcome_event=args.outcome_event,
        outcome_campaign=args.outcome_campaign,
        outcome_days=args.outcome_within,
        segment_id=args.id,
        push=args.push,
    )
    segment = seg.save(seg.segments_path(landing), entry)
    print(f"{segment.id} → {seg.segments_path(landing)}")
    if args.build:
        return cmd_build(args)
    print("it is built on the next run (`rollcall run` or `rollcall segments build`)")
    return 0


def build_now(landing: Path, warehouse: Path) -> tuple[bool, str]:
    """`rollcall segments build` in its own process (what the builder page's "save" runs).

    The same code path as the command; it takes the run lock, so it refuses in
    one line while a run holds the warehouse. Returns (ok, its last line).
    """
    import subprocess

    if wh.is_busy(warehouse):
        return False, f"a run is building {warehouse} right now; try again when it has published"
    command = ["segments", "build", "--landing", str(landing), "--warehouse", str(warehouse)]
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *command],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )
    lines = (done.stdout if done.returncode == 0 else done.stderr).strip().splitlines()
    return done.returncode == 0, (lines[-1] if lines else "")


def push_now(landing: Path, warehouse: Path, segment_id: str) -> tuple[bool, list[str]]:
    """`rollcall segments push --segment ID` in its own process (the builder page's push button)."""
    import subprocess

    command = ["segments", "push", "--segment", segment_id, "--landing", str(landing)]
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", *command, "--warehouse", str(warehouse)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
        check=False,
    )
    return done.returncode == 0, (done.stdout + done.stderr).strip().splitlines()


def cmd_build(args) -> int:
    from pipelines.run import run_all

    landing, warehouse = wh.landing_path(args.landing), wh.warehouse_path(args.warehouse)
    seg.load(seg.segments_path(landing))  # a broken file: one line, before anything runs
    run_all(landing, warehouse, quiet=not getattr(args, "verbose", False), job="segments_build")
    with wh.connect_read(warehouse) as con:
        rows = con.sql(
            """
            select segment_id, members, treatment, control, entered, exited from segments.builds
            qualify built_at = max(built_at) over (partition by segment_id) order by 1
            """
        ).fetchall()
    for sid, members, treatment, control, entered, exited in rows:
        print(f"{sid}: {members} members ({treatment} treatment, {control} control); +{entered} −{exited}")
    print(f"published {warehouse}")
    return 0


def cmd_export(args) -> int:
    warehouse = wh.warehouse_path(args.warehouse)
    out = seg.exports_path(warehouse) if args.out is None else Path(args.out).resolve()
    formats = ("csv", "parquet") if args.format == "both" else (args.format,)
    with wh.connect_read(warehouse) as con:
        for s in _segments(args):
            result = seg.export(con, s, out, formats)
            print(f"{s.id}: {result.rows} people → {', '.join(str(f) for f in result.files)}")
    return 0


def _pushed_segments(args) -> list[seg.Segment]:
    segments = _segments(args)
    if args.segment is None:
        return [s for s in segments if "actionnetwork" in s.destinations]
    if "actionnetwork" not in segments[0].destinations:
        raise seg.SegmentError(f"segment {args.segment!r} does not list actionnetwork in its destinations")
    return segments


def cmd_push(args) -> int:
    if getattr(args, "dry_run", False):
        return _dry_run(args)
    token = os.environ.get("ROLLCALL_AN_TOKEN")
    if not token:
        print(
            "rollcall: no Action Network API token: set ROLLCALL_AN_TOKEN (and ROLLCALL_AN_URL)",
            file=sys.stderr,
        )
        return 1
    segments = _pushed_segments(args)
    client = an.Client(os.environ.get("ROLLCALL_AN_URL") or an.DEFAULT_URL, token)
    warehouse = wh.warehouse_path(args.warehouse)
    build = wh.build_path(warehouse)
    if not build.exists() and not warehouse.exists():
        raise wh.WarehouseMissing(f"no warehouse at {warehouse}: run `rollcall run` first")
    cap = _cap(args)
    stopped = refused = False
    # The push writes the pipeline's working file: never during a run (one line if one holds it).
    # (A working file a publish moved away is made again from the published one.)
    with wh.run_lock(warehouse, what="rollcall segments push"), wh.connect_build(build) as con:
        for s in segments:
            try:
                summary = an.sync_segment(con, client, s, max_remove_pct=cap)
            except an.SyncRefused as exc:
                print(f"rollcall: {exc.summary.line()}", file=sys.stderr)
                refused = True
                continue
            except an.SyncAborted as exc:
                summary, stopped = exc.summary, True
            print(summary.line())
            for person_id, reason in summary.failed:
                print(f"  failed {person_id}: {reason}")
    if stopped:
        print("rollcall: the push stopped early; run it again to resume", file=sys.stderr)
        return 1
    return REFUSED if refused else 0


def _cap(args) -> int | None:
    """The removal cap for this run: None (no cap), a flag's percent, or -1 (each segment's own)."""
    if getattr(args, "allow_removals", False):
        return None
    value = getattr(args, "max_remove_pct", None)
    return -1 if value is None else value


def _dry_run(args) -> int:
    """Per segment, how many a push would add and remove now; reads only, sends nothing."""
    segments = _pushed_segments(args)
    warehouse = wh.warehouse_path(args.warehouse)
    build = wh.build_path(warehouse)
    # The ledger is in the working file when there is one (a push writes it there).
    source = build if build.exists() and not wh.is_busy(warehouse) else warehouse
    cap = _cap(args)
    over = False
    with wh.connect_read(source) as con:
        for s in segments:
            if s.sync_mode == "add_only":
                plan, _, _ = an.plan_sync(con, s, None)
                print(f"{s.id}: would add {len(plan.add)}, remove 0 (add_only)")
                continue
            plan, _, _ = an.plan_sync(con, s, cap)
            print(plan.line())
            over = over or plan.over_cap
    return REFUSED if over else 0


_ACTIONS = {"list": cmd_list, "add": cmd_add, "build": cmd_build, "export": cmd_export, "push": cmd_push}
