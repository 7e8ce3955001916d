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


@pytest.fixture(scope="session")
def warehouse(built) -> Path:
    return built["warehouse"]
