"""dbt builds on a warehouse file of the test's own, in process."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from dbt.cli.main import dbtRunner

PROJECT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"


def dbt_build(warehouse: Path, *args: str):
    """`dbt build [args]` into `warehouse`, with target and logs beside it; fails the test on any error.

    Returns dbt's result (each node's status and message)."""
    tmp = warehouse.parent
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ROLLCALL_WAREHOUSE", str(warehouse))
        mp.setenv("ROLLCALL_BUILD_DB", str(warehouse))
        res = dbtRunner().invoke(
            [
                "build",
                *args,
                "--project-dir",
                str(PROJECT_DIR),
                "--profiles-dir",
                str(PROJECT_DIR),
                "--target-path",
                str(tmp / "target"),
                "--log-path",
                str(tmp / "logs"),
            ]
        )
    failed = [
        f"{r.node.name}: {(r.message or '').splitlines()[0] if r.message else r.status}"
        for r in (res.result or [])
        if str(r.status) in ("error", "fail", "runtime error")
    ]
    assert res.success, f"dbt build failed: {res.exception or failed}"
    return res


@pytest.fixture(scope="session")
def dbt() -> object:
    """The dbt_build helper, for the module fixtures that build a warehouse."""
    return dbt_build


def raw_fixture():
    """The hand-made raw fixture module (make_raw_fixture.py), loaded by its path."""
    spec = importlib.util.spec_from_file_location(
        "make_raw_fixture", Path(__file__).with_name("make_raw_fixture.py")
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
