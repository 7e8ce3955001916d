"""`rollcall`: the command line of DESIGN.md. Bad arguments exit 2 with one line."""

from __future__ import annotations

import argparse
import atexit
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from pipelines.lib import cohorts
from pipelines.lib import warehouse as wh


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one clear line, exit 2
        self.exit(2, f"rollcall: {message}\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="rollcall", description="rollcall: email, texts and calls per person, in one warehouse.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = sub.add_parser("demo", help="sample data → full build → a cohort → the dashboard")
    demo.add_argument("--people", type=int, default=2000, help="sample size (default 2000)")
    demo.add_argument("--no-dashboard", action="store_true", help="stop after printing the cohort")

    run = sub.add_parser("run", help="materialise every asset")
    run.add_argument("--landing", help="landing folder (ROLLCALL_LANDING, default data/landing)")
    run.add_argument("--warehouse", help="warehouse file (ROLLCALL_WAREHOUSE, default data/warehouse.duckdb)")
    run.add_argument("--verbose", action="store_true", help="show Dagster's and dbt's log")

    pull = sub.add_parser("pull", help="Action Network people and actions → landing files")
    pull.add_argument("--landing", help="landing folder (ROLLCALL_LANDING, default data/landing)")

    dash = sub.add_parser("dashboard", help="the Streamlit app on the current warehouse")
    dash.add_argument(
        "--address",
        help="interface to listen on (ROLLCALL_DASHBOARD_ADDRESS, default 127.0.0.1: this machine only; "
        "0.0.0.0 opens it to the network)",
    )

    users = sub.add_parser("users", help="dashboard users (ROLLCALL_USERS, default data/users.yml)")
    users_sub = users.add_subparsers(dest="users_command", required=True, parser_class=_Parser)
    add = users_sub.add_parser("add", help="add or replace a user (bcrypt-hashed password)")
    add.add_argument("username")
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--admin", action="store_true", help="sees every affiliate")
    who.add_argument("--affiliate", help="sees only this affiliate's people (exactly as in Action Network)")
    add.add_argument("--name", help="the name shown once signed in")
    add.add_argument("--file", help="users file (default ROLLCALL_USERS or data/users.yml)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    c = sub.add_parser("cohort", help="who did A [but not B] [within N days]")
    cohorts.add_arguments(c)  # the one cohort schema (pipelines/lib/cohorts.py FIELDS)
    c.add_argument("--count", action="store_true", help="print only the number")
    c.add_argument("--format", choices=("csv", "parquet", "json"), default="csv")
    c.add_argument("--out", help="write to this file (atomically) instead of standard output")
    c.add_argument("--warehouse", help=argparse.SUPPRESS)

    from pipelines import cli_segments

    cli_segments.add_parser(sub)
    return p


def _write(table, fmt: str, out: str | None) -> None:
    if out is None:
        if fmt == "csv":
            pacsv.write_csv(table, sys.stdout.buffer)
        else:
            json.dump(table.to_pylist(), sys.stdout, ensure_ascii=False, default=str)
            sys.stdout.write("\n")
        sys.stdout.flush()
        return
    target = Path(out)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        if fmt == "csv":
            pacsv.write_csv(table, tmp)
        elif fmt == "parquet":
            pq.write_table(table, tmp)
        else:
            tmp.write_text(
                json.dumps(table.to_pylist(), ensure_ascii=False, default=str) + "\n", encoding="utf-8"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _check_out(out: str | None) -> None:
    """--out must name a file in a folder that exists: one line before any work, else."""
    if out is None:
        return
    target = Path(out)
    if not out.strip() or target.is_dir() or out.endswith(os.sep):
        raise cohorts.CohortError("out_is_folder", out=out, example=str(target / "cohort.csv"))
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise cohorts.CohortError("out_no_folder", out=out, folder=str(folder))
    if not os.access(folder, os.W_OK):
        raise cohorts.CohortError("out_not_writable", out=out, folder=str(folder))


def cmd_cohort(args) -> int:
    if args.format == "parquet" and not args.out:
        raise cohorts.CohortError("parquet_needs_out")
    _check_out(args.out)
    cohort = cohorts.Cohort.from_flags(args)
    with wh.connect_read(wh.warehouse_path(args.warehouse)) as con:
        if args.count:
            print(cohorts.count(con, cohort))
            return 0
        table = cohorts.members(con, cohort)
    _write(table, args.format, args.out)
    if args.out:
        print(f"{table.num_rows} people → {args.out}", file=sys.stderr)
    return 0


def _terminal_progress():
    """Each step as it goes, on a terminal (pipelines/progress.py); None when not a terminal.

    It writes to its own copy of the terminal: a quiet run sends file
    descriptors 1 and 2 to the run's log.
    """
    from pipelines.progress import Progress

    if not sys.stdout.isatty():
        return None
    return Progress(os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1))


def cmd_run(args) -> int:
    from pipelines.run import run_all

    # On a terminal, each step as it goes (pipelines/progress.py); otherwise only the summary.
    progress = _terminal_progress() if not args.verbose else None
    summary = run_all(
        wh.landing_path(args.landing),
        wh.warehouse_path(args.warehouse),
        quiet=not args.verbose,
        progress=progress,
    )
    rows = ", ".join(f"{n:,} {name}" for name, n in summary.rows.items())
    said = "published" if summary.published else "nothing new landed and nothing changed; still published"
    print(
        f"{said} {summary.warehouse}: {rows}; {summary.rejected:,} rejected rows, "
        f"{summary.unmatched:,} unmatched events"
    )
    return 0


def cmd_pull(args) -> int:
    """People and the listed pages' actions changed since the last pull (pipelines/lib/pull.py)."""
    from pipelines.lib import actionnetwork as an
    from pipelines.lib import pull
    from pipelines.lib.campaigns import CampaignsError

    token = os.environ.get("ROLLCALL_AN_TOKEN")
    if not token:
        print(
            "rollcall: no Action Network API token: set ROLLCALL_AN_TOKEN (and ROLLCALL_AN_URL)",
            file=sys.stderr,
        )
        return 1
    landing = wh.landing_path(args.landing)
    client = an.Client(os.environ.get("ROLLCALL_AN_URL") or an.DEFAULT_URL, token)
    try:
        summary = pull.pull(landing, client)
    except (CampaignsError, pull.PullError) as exc:
        print(f"rollcall: {exc}", file=sys.stderr)
        return 1
    except (an.Unavailable, an.ActionNetworkError) as exc:
        print(
            f"rollcall: the pull stopped ({exc}); what was pulled is kept: run it again to resume",
            file=sys.stderr,
        )
        return 1
    print(f"pulled into {landing}: {summary.line()}")
    return 0


def cmd_demo(args) -> int:
    from pipelines.lib import sample
    from pipelines.run import run_all

    landing, warehouse = wh.landing_path(), wh.warehouse_path()
    if not any(landing.glob("*/*")):
        print(f"writing sample landing data ({args.people:,} people) to {landing} …")
        sample.generate(landing, people=args.people)

    print("building the warehouse …", flush=True)
    summary = run_all(landing, warehouse, progress=_terminal_progress())
    print(f"published {summary.warehouse}: " + ", ".join(f"{n:,} {k}" for k, n in summary.rows.items()))
    with wh.connect_read(warehouse) as con:
        # The campaign the dashboard opens on (dashboards/ui.py opens_on): the newest whose ask is
        # a call, with an email, not a follow-up.
        campaign = con.sql(
            "select campaign_id from marts.campaigns where ask = 'call' and email_campaign_id is not null "
            "and follow_up_of is null order by starts desc, campaign_id limit 1"
        ).fetchall()[0][0]
        cohort = cohorts.Cohort(campaign=campaign, did="opened", did_not="called", within_days=7)
        table = cohorts.members(con, cohort)
    print(f"\nopened {campaign!r} but did not call within 7 days: {table.num_rows:,} people")
    print(
        f"  (uv run rollcall cohort --campaign {campaign} --did opened --did-not called --within 7 --count)\n"
    )
    pacsv.write_csv(table.slice(0, 10), sys.stdout.buffer)
    sys.stdout.flush()
    _demo_segment(landing, warehouse, cohort)
    if not args.no_dashboard:
        return cmd_dashboard(args)
    return 0


def _demo_segment(landing: Path, warehouse: Path, cohort: cohorts.Cohort) -> None:
    """One saved segment (10% held out), so the Follow-up page is never empty on first sight."""
    from pipelines.lib import segments as seg
    from pipelines.run import run_all

    path = seg.segments_path(landing)
    if seg.load(path):
        return
    entry = seg.define(
        dataclasses.replace(cohort, reachable="sms"),
        name_en="Opened, did not call within 7 days",
        name_fr="A ouvert, sans appeler dans les 7 jours",
        channel="sms",
        segment_id="demo-opened-not-called",
    )
    segment = seg.save(path, entry)
    run_all(landing, warehouse, job="segments_build")
    print(f"saved segment {segment.id!r} ({segment.holdout}% held out) → {path}; built")


def cmd_dashboard(args) -> int:
    from dashboards import auth

    app = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
    if not app.exists():
        print("rollcall: the dashboard is not built yet", file=sys.stderr)
        return 1
    env = dict(
        os.environ,
        ROLLCALL_WAREHOUSE=str(wh.warehouse_path()),
        ROLLCALL_USERS=str(auth.users_path()),
        ROLLCALL_LANDING=str(wh.landing_path()),  # segments.yml, for "save as a segment"
    )
    if args.command == "demo" and "ROLLCALL_USERS" not in os.environ and not auth.users_path().exists():
        env["ROLLCALL_USERS"] = str(auth.DEMO_USERS)
        print(
            "rollcall: signing in with the DEMO users file (admin / admin-demo, ohio / ohio-demo) — "
            "not for real data; see dashboards/README.md",
            file=sys.stderr,
        )
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--browser.gatherUsageStats=false"]
    # This machine only, unless asked: the sign-in page is not for the open internet.
    address = getattr(args, "address", None) or os.environ.get("ROLLCALL_DASHBOARD_ADDRESS") or "127.0.0.1"
    command.append(f"--server.address={address}")
    if os.environ.get("ROLLCALL_DASHBOARD_PORT"):
        command.append(f"--server.port={os.environ['ROLLCALL_DASHBOARD_PORT']}")
    # cwd: Streamlit reads .streamlit/config.toml (no menu, no usage stats, one URL line) from there.
    return subprocess.call(command, env=env, cwd=app.parents[1])


def cmd_users(args) -> int:
    """`rollcall users add NAME --admin | --affiliate NAME`: add or replace a dashboard user."""
    import getpass

    from dashboards import auth

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"password for {args.username}: ")
        if getpass.getpass("again: ") != password:
            print("rollcall: the passwords differ", file=sys.stderr)
            return 2
    path = auth.users_path(args.file)
    try:
        auth.add_user(
            path, args.username, password, admin=args.admin, affiliate=args.affiliate, name=args.name
        )
    except auth.UsersFileError as exc:
        print(f"rollcall: {exc}", file=sys.stderr)
        return 2
    print(f"{args.username} ({'admin' if args.admin else args.affiliate}) → {path}")
    return 0


def cmd_segments(args) -> int:
    """`rollcall segments list|build|export|push` (pipelines/cli_segments.py)."""
    from pipelines import cli_segments

    return cli_segments.run(args)


COMMANDS = {
    "cohort": cmd_cohort,
    "run": cmd_run,
    "pull": cmd_pull,
    "demo": cmd_demo,
    "dashboard": cmd_dashboard,
    "users": cmd_users,
    "segments": cmd_segments,
}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    from pipelines.run import RunFailed

    try:
        return COMMANDS[args.command](args)
    except cohorts.CohortError as exc:
        print(f"rollcall: {exc}", file=sys.stderr)
        return 2
    except wh.WarehouseUnreadable as exc:
        print(f"rollcall: {exc}", file=sys.stderr)
        return 2
    except (wh.WarehouseMissing, wh.WarehouseBusy, RunFailed) as exc:
        print(f"rollcall: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # a disk full, a folder removed mid-write: one line, not a traceback
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"rollcall: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1


def leave(code: int) -> NoReturn:
    """Exit with `code` without Python's teardown, once the exit handlers have run.

    At exit Python frees, one by one, every object the process still holds:
    after a run, the modules and definitions of Dagster, dbt-core and their
    dependencies, ~1.0 s at 1M people (5% of a daily run), for a process that
    is going away. By the time a command returns, what it wrote is closed and
    synced (a run's publish fsyncs), so the process runs the exit handlers
    (logging's flush, the temporary folders Dagster made), flushes its output
    and leaves.
    """
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def entry() -> NoReturn:
    """The `rollcall` executable: `main`, then `leave`. (A command that raises, or
    argparse's exit on bad arguments, exits the usual way.)"""
    leave(main())


if __name__ == "__main__":
    entry()
