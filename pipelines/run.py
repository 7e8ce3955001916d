"""Materialise every asset headlessly: what `rollcall run` and `rollcall demo` do.

A run holds the warehouse's lock (`warehouse.run_lock`) from start to
publish: a second run is refused in one line, and the run that takes over
from one that died cleans its leftovers (its dbt, its temporary copies).
A quiet run writes Dagster's and dbt's whole log to `<warehouse>.log` (the
one line of a failure names it) instead of the terminal.
"""

from __future__ import annotations

import contextlib
import os
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib import runstate
from pipelines.lib import warehouse as wh
from pipelines.lib.ingest import IngestError, ensure_raw_schema
from pipelines.lib.segments import SegmentError, segments_path
from pipelines.lib.warm_dbt import warm_dbt


class RunFailed(RuntimeError):
    """A run that did not complete; nothing was published. The message is one line."""


@dataclass
class RunSummary:
    warehouse: Path
    rows: dict[str, int]
    rejected: int
    unmatched: int
    steps: dict[str, float] = field(default_factory=dict)
    # False when nothing had landed or changed since the published build: nothing ran.
    published: bool = True


def _root_cause(exc: BaseException) -> BaseException:
    seen = exc
    while True:
        inner = getattr(seen, "user_exception", None) or seen.__cause__
        if inner is None or inner is seen:
            return seen
        seen = inner


def log_path(warehouse: Path) -> Path:
    """Where a quiet run writes Dagster's and dbt's log: `<warehouse>.log`, replaced each run."""
    return warehouse.with_name(warehouse.name + ".log")


@contextlib.contextmanager
def _into(log: Path):
    """Everything the run prints — Python's and its subprocesses' (dbt) — into `log`."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(log, "w", encoding="utf-8", buffering=1) as handle:
        os.dup2(handle.fileno(), 1)
        os.dup2(handle.fileno(), 2)
        try:
            with contextlib.redirect_stdout(handle), contextlib.redirect_stderr(handle):
                yield
        finally:
            handle.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def run_all(
    landing: Path, warehouse: Path, quiet: bool = True, job: str = "everything", progress=None
) -> RunSummary:
    """Ingest every new landed file, build every model, publish the warehouse.

    `progress` (pipelines.progress.Progress) hears Dagster's events as the run goes.
    """
    if not landing.is_dir():
        raise RunFailed(f"no landing folder at {landing}")
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    try:
        with wh.run_lock(warehouse):
            return _run_locked(landing, warehouse, quiet, job, progress)
    except wh.WarehouseBusy as exc:
        raise RunFailed(str(exc)) from None


def _run_locked(landing: Path, warehouse: Path, quiet: bool, job: str, progress) -> RunSummary:
    build = wh.build_path(warehouse)
    # Nothing new landed, no model or segment changed: the published build stands.
    # (Between runs the working file is the published one: a publish moved it there.)
    inputs = runstate.inputs_fingerprint(landing, segments_path(landing))
    if (build.exists() or wh.raw_path(build).exists()) and runstate.last_published_inputs(
        warehouse
    ) == inputs:
        return _summary(warehouse, {}, published=False)
    # The published copies earlier runs replaced are freed while this one ingests.
    freeing = wh.free_retired(warehouse)
    try:
        # dbt imports now, beside the run's own start and its ingest, not in the dbt step.
        with warm_dbt():
            return _run(landing, warehouse, build, inputs, quiet, job, progress)
    finally:
        wh.settle_restoring(build)
        freeing.join()


def _run(landing: Path, warehouse: Path, build: Path, inputs: str, quiet: bool, job: str, progress):
    os.environ["ROLLCALL_RUN_INPUTS"] = inputs
    os.environ["ROLLCALL_LANDING"] = str(landing)
    os.environ["ROLLCALL_WAREHOUSE"] = str(warehouse)
    os.environ["ROLLCALL_BUILD_DB"] = str(build)
    forget_builds = build.exists() and not wh.raw_path(build).exists()
    if not build.exists() and warehouse.exists():
        if wh.raw_path(build).exists():
            # The last run published its working file: it is made again from the
            # published one while ingest writes the raw file (which is all ingest writes).
            wh.start_restoring_build(warehouse)
        else:
            # Someone handed us a published warehouse: build on top of it (it holds
            # the segments' history: assignments, the push ledger). Its raw tables
            # were never published: ingest reads every landed file again.
            wh.restore_build(warehouse)
            forget_builds = True
    if forget_builds:
        # The models cannot add to events they no longer have: dbt builds from scratch.
        # A working file from before raw had a file of its own moves its raw tables there.
        with wh.connect_build(build) as con:
            ensure_raw_schema(con)
            con.execute("drop table if exists intermediate.dbt_build_log")

    import dagster as dg

    log = log_path(warehouse)
    # A quiet run keeps the terminal to one line: Dagster's and dbt's whole
    # log (at INFO) goes to the log file the failure names.
    echo = contextlib.nullcontext() if not quiet else _into(log)
    where = f" (full log: {log})" if quiet else ""
    try:
        with echo:
            from pipelines.defs.transform.project import ensure_manifest

            ensure_manifest()
            from pipelines.definitions import defs

            job_def = defs().resolve_job_def(job)
            instance = dg.DagsterInstance.ephemeral()
            run_id = str(uuid.uuid4())
            if progress is not None:
                instance.add_event_listener(run_id, progress.on_event)
            result = job_def.execute_in_process(
                instance=instance,
                run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
                raise_on_error=True,
                run_id=run_id,
            )
    except Exception as exc:
        cause = _root_cause(exc)
        if isinstance(cause, IngestError | SegmentError):
            raise RunFailed(f"{cause}{where}") from exc
        first = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
        raise RunFailed(f"{type(cause).__name__}: {first}{where}") from exc
    if not result.success:
        raise RunFailed("the run failed; see " + (str(log) if quiet else "the log above"))
    steps = {
        s.step_key: round(s.end_time - s.start_time, 2)
        for s in instance.get_run_step_stats(result.run_id)
        if s.start_time and s.end_time
    }
    return _summary(warehouse, steps)


def _summary(warehouse: Path, steps: dict[str, float], published: bool = True) -> RunSummary:
    """What the published warehouse holds (every count from a summary table, not a scan of events)."""
    with wh.connect_read(warehouse) as con:
        rows = dict(
            con.sql(
                """
                select 'people', count(*) from marts.people
                union all select 'campaigns', count(*) from marts.campaigns
                union all select 'attributed actions', count(*) from marts.campaign_touchpoints
                union all select 'person_campaign_funnel', count(*) from marts.person_campaign_funnel
                """
            ).fetchall()
        )
        rejected = con.sql("select count(*) from marts.rejected_rows").fetchall()[0][0]
        per_address = "select coalesce(sum(events), 0)::bigint from marts.unmatched_identifiers"
        unmatched = con.sql(per_address).fetchall()[0][0]
    return RunSummary(warehouse, rows, rejected, unmatched, steps, published)
