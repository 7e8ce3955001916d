"""Shared fixtures: a small real warehouse built from the hand-made landing folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURE_LANDING = Path(__file__).resolve().parent / "fixtures" / "landing"


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict:
    """Run every asset (ingest → dbt → publish) on the fixture landing folder, once per session."""
    from pipelines.run import run_all

    root = tmp_path_factory.mktemp("built")
    landing = root / "landing"
    shutil.copytree(FIXTURE_LANDING, landing)
    warehouse = root / "warehouse.duckdb"
    summary = run_all(landing, warehouse)
    return {"landing": landing, "warehouse": warehouse, "summary": summary}


def copy_built(built: dict, root: Path) -> tuple[Path, Path]:
    """A copy of the session's landing folder and warehouse: the published, build and raw files."""
    from pipelines.lib import warehouse as wh

    landing = root / "landing"
    shutil.copytree(built["landing"], landing)
    warehouse = root / "warehouse.duckdb"
    build = wh.build_path(warehouse)
    for source, copy in (
        (built["warehouse"], warehouse),
        (wh.build_path(built["warehouse"]), build),
        (wh.raw_path(wh.build_path(built["warehouse"])), wh.raw_path(build)),
    ):
        shutil.copyfile(source, copy)
    return landing, warehouse


@pytest.fixture(scope="session")
def warehouse(built) -> Path:
    return built["warehouse"]
