"""The dbt project, and the manifest dagster-dbt needs before anything loads."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.lib import warehouse as wh
from pipelines.lib.runstate import DBT_DIR
from pipelines.lib.warm_dbt import dbt_executable

DBT = dbt_executable()
# What the dbt steps run: dbt, forked from the one a run started early when there is one
# (pipelines/lib/warm_dbt.py), else the `dbt` above.
WARM_DBT = str(Path(DBT).with_name("rollcall-dbt"))

# dbt builds into the pipeline's private working file, never the published one.
os.environ.setdefault("ROLLCALL_BUILD_DB", str(wh.build_path(wh.warehouse_path())))

rollcall_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)
rollcall_project.prepare_if_dev()


def _manifest_is_stale() -> bool:
    """No manifest, or a model, macro or project file newer than it."""
    manifest = rollcall_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_DIR / "dbt_project.yml"]
    for folder in ("models", "macros"):
        sources += (DBT_DIR / folder).rglob("*")
    return any(path.stat().st_mtime > built for path in sources if path.is_file())


def ensure_manifest() -> None:
    """Parse the dbt project (a few seconds) when its manifest is missing or older than a model.

    dbt parses into a folder of its own (seeded with the kept parse cache) and
    the manifest moves into place in one rename: two processes that find it
    stale at once (pytest's workers, a run beside `dagster dev`) never write
    it together, and no reader sees half of it.
    """
    if not _manifest_is_stale():
        return
    manifest = rollcall_project.manifest_path
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".parse-", dir=manifest.parent) as scratch:
        cache = manifest.parent / "partial_parse.msgpack"
        if cache.exists():
            shutil.copyfile(cache, Path(scratch) / cache.name)
        project = ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)]
        done = subprocess.run(
            [DBT, "parse", "--quiet", *project, "--target-path", scratch],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"dbt parse failed: {(done.stdout + done.stderr).strip()[-500:]}")
        os.replace(Path(scratch) / manifest.name, manifest)


# The run folders dagster-dbt leaves in target/ (one a dbt step, ~6 MB at 1M:
# manifest, compiled SQL, dbt.log, run_results.json): the newest KEEP_DBT_RUNS
# are kept, and any touched in the last KEEP_DBT_HOURS.
KEEP_DBT_RUNS = 10
KEEP_DBT_HOURS = 6


def prune_dbt_runs(
    target: Path | None = None, keep: int = KEEP_DBT_RUNS, now: float | None = None
) -> list[Path]:
    """Remove the dbt run folders of `target` beyond the `keep` newest and older than
    KEEP_DBT_HOURS; the removed ones.

    dagster-dbt gives every dbt step a folder of its own, `<asset>-<run>-<id>`,
    and never removes one: a daily run grew target/ by ~6 MB a day (2 GB a
    year). The newest are the ones a person reads after a run (its dbt.log,
    run_results.json). A recent folder is never removed, whatever its rank:
    it can be a step still running beside this one (a test worker, `dagster dev`).
    """
    target = target or DBT_DIR / "target"
    cutoff = (time.time() if now is None else now) - KEEP_DBT_HOURS * 3600
    runs = sorted(
        ((p.stat().st_mtime, p) for p in target.glob("rollcall_dbt_*-*") if p.is_dir()),
        reverse=True,
    )
    removed = [p for mtime, p in runs[keep:] if mtime < cutoff]
    for old in removed:
        shutil.rmtree(old, ignore_errors=True)
    return removed


def after_dbt_step(invocation) -> None:
    """What a finished dbt step leaves: its parse cache kept for the next step, old run folders pruned.

    dagster-dbt runs dbt in a fresh target folder seeded with the project's
    target/partial_parse.msgpack, and never copies it back: a cache parsed
    for another warehouse path (the profile) made every run parse the whole
    project again (~4 s per dbt step). The folders themselves: prune_dbt_runs.
    """
    cache = Path(invocation.target_path) / "partial_parse.msgpack"
    if cache.exists():
        kept = DBT_DIR / "target" / "partial_parse.msgpack"
        tmp = kept.with_name(f".{kept.name}.{os.getpid()}.tmp")
        shutil.copyfile(cache, tmp)
        os.replace(tmp, kept)
    prune_dbt_runs()


ensure_manifest()
