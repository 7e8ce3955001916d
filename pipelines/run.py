"""Materialise every asset headlessly: what `rollcall run` and `rollcall demo` do."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib import runstate
from pipelines.lib import warehouse as wh
from pipelines.lib.ingest import IngestError
from pipelines.lib.segments import SegmentError, segments_path


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


def run_all(landing: Path, warehouse: Path, quiet: bool = True, job: str = "everything") -> RunSummary:
    """Ingest every new landed file, build every model, publish the warehouse."""
    if not landing.is_dir():
        raise RunFailed(f"no landing folder at {landing}")
    build = wh.build_path(warehouse)
    # Nothing new landed, no model or segment changed: the published build stands.
    inputs = runstate.inputs_fingerprint(landing, segments_path(landing))
    if build.exists() and runstate.last_published_inputs(warehouse) == inputs:
        return _summary(warehouse, {}, published=False)
    os.environ["ROLLCALL_RUN_INPUTS"] = inputs
    os.environ["ROLLCALL_LANDING"] = str(landing)
    os.environ["ROLLCALL_WAREHOUSE"] = str(warehouse)
    os.environ["ROLLCALL_BUILD_DB"] = str(build)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    forget_builds = build.exists() and not wh.raw_path(build).exists()
    if not build.exists() and warehouse.exists():
        # Someone handed us a published warehouse: build on top of it (it holds
        # the segments' history: assignments, the push ledger). Its raw tables
        # were never published: ingest reads every landed file again.
        shutil.copyfile(warehouse, build)
        forget_builds = True
    if forget_builds:
        # The models cannot add to events they no longer have: dbt builds from scratch.
        with wh.connect_build(build) as con:
            con.execute("drop table if exists intermediate.dbt_build_log")

    import dagster as dg

    from pipelines.defs.transform.project import ensure_manifest

    ensure_manifest()
    from pipelines.definitions import defs

    job_def = defs().resolve_job_def(job)
    level = "ERROR" if quiet else "INFO"
    # dagster-dbt echoes dbt's whole log to stdout; a quiet run keeps it to
    # the failure, which is raised below as one line.
    echo = contextlib.nullcontext() if not quiet else contextlib.redirect_stdout(io.StringIO())
    try:
        instance = dg.DagsterInstance.ephemeral()
        with echo:
            result = job_def.execute_in_process(
                instance=instance,
                run_config={"loggers": {"console": {"config": {"log_level": level}}}},
                raise_on_error=True,
            )
    except Exception as exc:
        cause = _root_cause(exc)
        if isinstance(cause, IngestError | SegmentError):
            raise RunFailed(str(cause)) from exc
        raise RunFailed(
            f"{type(cause).__name__}: {str(cause).strip().splitlines()[0] if str(cause).strip() else ''}"
        ) from exc
    if not result.success:
        raise RunFailed("the run failed; see the log above")
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
