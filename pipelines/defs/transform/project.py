"""The dbt project, and the manifest dagster-dbt needs before anything loads."""

from __future__ import annotations

import os
from pathlib import Path

from dagster_dbt import DbtProject

from pipelines.lib import warehouse as wh

DBT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"

# dbt builds into the pipeline's private working file, never the published one.
os.environ.setdefault("ROLLCALL_BUILD_DB", str(wh.build_path(wh.warehouse_path())))

rollcall_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)
rollcall_project.prepare_if_dev()


def prepare() -> None:
    """Parse the dbt project so its manifest matches the models on disk."""
    rollcall_project.preparer.prepare(rollcall_project)


if not rollcall_project.manifest_path.exists():
    prepare()
