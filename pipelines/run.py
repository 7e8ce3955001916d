"""Materialise every asset headlessly: what `rollcall run` and `rollcall demo` do."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.lib import warehouse as wh
from pipelines.lib.ingest import IngestError
from pipelines.lib.segments import SegmentError


class RunFailed(RuntimeError):
    """A run that did not complete; nothing was published. The message is one line."""


@dataclass
class RunSummary:
    warehouse: Path
    rows: dict[str, int]
    rejected: int
    unmatched: int
    steps: dict[str, float] = field(default_factory=dict)


def _root_cause(exc: BaseException) -> BaseException:
    seen = exc
    while True:
        inner = getattr(seen, "user_exception", None) or seen.__cause__
        if inner is None or inner is seen:
            return seen
        seen = inner


def run_all(landing: Path, warehouse: Path, quiet: bool = True, job: str = "everything") -> RunSummary:
    """Ingest every new landed file, build every model, publish the warehouse (one run at a time)."""
    try:
        with wh.run_lock(warehouse):
            return _run_all(landing, warehouse, quiet, job)
    except wh.WarehouseBusy as exc:
        raise RunFailed(str(exc)) from None


def _run_all(landing: Path, warehouse: Path, quiet: bool, job: str) -> RunSummary:
    if not landing.is_dir():
        raise RunFailed(f"no landing folder at {landing}")
    build = wh.build_path(warehouse)
    os.environ["ROLLCALL_LANDING"] = str(landing)
    os.environ["ROLLCALL_WAREHOUSE"] = str(warehouse)
    os.environ["ROLLCALL_BUILD_DB"] = str(build)
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    if not build.exists() and warehouse.exists():
        # Someone handed us a published warehouse: build on top of it.
        shutil.copyfile(warehouse, build)

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
    with wh.connect_read(warehouse) as con:
        rows = dict(
            con.sql(
                """
                select 'people', count(*) from marts.people
                union all select 'campaigns', count(*) from marts.campaigns
                union all select 'touchpoints', count(*) from marts.touchpoints
                union all select 'person_campaign_funnel', count(*) from marts.person_campaign_funnel
                """
            ).fetchall()
        )
        rejected = con.sql("select count(*) from raw.rejected_rows").fetchall()[0][0]
        # Every unmatched event, from the per-address summary (not a scan of every event).
        per_address = "select coalesce(sum(events), 0)::bigint from marts.unmatched_identifiers"
        unmatched = con.sql(per_address).fetchall()[0][0]
    steps = {
        s.step_key: round(s.end_time - s.start_time, 2)
        for s in instance.get_run_step_stats(result.run_id)
        if s.start_time and s.end_time
    }
    return RunSummary(warehouse, rows, rejected, unmatched, steps)
