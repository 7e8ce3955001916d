"""Shared fixtures: a small real warehouse built from the hand-made landing folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURE_LANDING = Path(__file__).resolve().parent / "fixtures" / "landing"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Group the tests for pytest-xdist (`make test`: `-n 2 --dist loadgroup`), a group to a worker.

    A test that reads a module-scoped fixture (a warehouse built once for the
    module) goes with its module, so the fixture is built once; the dashboard
    modules go together, sharing their session's warehouses and app servers;
    any other test is a group of its own, free to run beside the rest.

    First among the hooks: pytest-xdist's own (on each worker) turns the
    marks into the groups it schedules by, and sees none added after it.
    """
    for item in items:
        module = item.nodeid.split("::")[0]
        fixtures = getattr(item, "_fixtureinfo", None)
        scopes = {d.scope for defs in fixtures.name2fixturedefs.values() for d in defs} if fixtures else set()
        if module.startswith("tests/dashboards/"):
            group = "dashboards"
        elif "module" in scopes:
            group = module
        else:
            group = item.nodeid
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node, ids) -> None:
    """With `--dist loadgroup`, pytest-xdist has put each test's group in its node id.

    A pytest that ignores that (9.2 with xdist 3.8) spreads the tests of one
    module fixture over both workers, each building it: stop, saying so.
    """
    if node.config.getvalue("dist") != "loadgroup":
        return
    lost = [nodeid for nodeid in ids if "@" not in nodeid]
    if lost:
        pytest.exit(
            f"pytest-xdist did not group {len(lost)} tests (the first: {lost[0]}); "
            "pyproject.toml says which pytest it needs",
            returncode=4,
        )


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
    """A copy of the session's landing folder and warehouse: the published, working and raw files.

    A publish moves the working file to the published path; the copy has one again, as the next
    run would make it (dbt, run on it directly by some tests, opens it by name).
    """
    from pipelines.lib import warehouse as wh

    landing = root / "landing"
    shutil.copytree(built["landing"], landing)
    warehouse = root / "warehouse.duckdb"
    build = wh.build_path(warehouse)
    for source, copy in (
        (built["warehouse"], warehouse),
        (built["warehouse"], build),
        (wh.raw_path(wh.build_path(built["warehouse"])), wh.raw_path(build)),
    ):
        shutil.copyfile(source, copy)
    return landing, warehouse


@pytest.fixture(scope="session")
def warehouse(built) -> Path:
    return built["warehouse"]
