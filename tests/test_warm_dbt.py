"""The dbt steps' executable: dbt forked from the warm dbt a run starts (pipelines/lib/warm_dbt.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from pipelines.defs.transform.project import DBT, WARM_DBT
from pipelines.lib.warm_dbt import SOCKET_ENV, warm_dbt


def _dbt(executable: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([executable, *args], capture_output=True, text=True, env=env, timeout=120)


def test_a_dbt_step_is_a_fork_of_the_warm_dbt_and_answers_as_dbt_does(tmp_path):
    log = tmp_path / "server.log"
    cold = _dbt(DBT, "--version")
    empty = tmp_path / "no project"
    empty.mkdir()
    refused = _dbt(DBT, "parse", "--project-dir", str(empty))
    with warm_dbt(log=log):
        warm = _dbt(WARM_DBT, "--version")
        warm_refused = _dbt(WARM_DBT, "parse", "--project-dir", str(empty))
    assert warm.returncode == cold.returncode == 0
    assert warm.stdout == cold.stdout and "Core:" in warm.stdout
    # dbt's own exit code, whatever it is, comes back through the fork.
    assert refused.returncode != 0
    assert warm_refused.returncode == refused.returncode
    assert warm_refused.stdout.splitlines()[-1:] == refused.stdout.splitlines()[-1:]
    # Both were forks of the server, not a dbt started cold.
    assert log.read_text().count("forking a dbt") == 2
    assert "no warm dbt" not in warm.stderr + warm_refused.stderr
    assert SOCKET_ENV not in os.environ  # the block gave back the environment it found


def test_with_no_warm_dbt_to_fork_the_step_starts_dbt_itself(tmp_path):
    env = {**os.environ, SOCKET_ENV: str(tmp_path / "gone.sock")}
    done = _dbt(WARM_DBT, "--version", env=env)
    assert done.returncode == 0 and "Core:" in done.stdout
    assert f"no warm dbt at {tmp_path / 'gone.sock'}" in done.stderr
    # Outside a run (the Dagster UI) there is nothing to say: dbt just starts.
    quiet = _dbt(WARM_DBT, "--version", env={k: v for k, v in os.environ.items() if k != SOCKET_ENV})
    assert quiet.returncode == 0 and quiet.stderr == ""


def test_the_warm_dbt_leaves_with_the_run_that_started_it(tmp_path):
    # A run that dies without stopping its warm dbt (killed): the server goes within seconds.
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; from pipelines.lib.warm_dbt import warm_dbt\n"
            "cm = warm_dbt(); server = cm.__enter__()\n"
            "print(server.pid, os.environ['ROLLCALL_WARM_DBT'], flush=True); os._exit(0)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    pid, socket_path = started.stdout.split()
    deadline = time.monotonic() + 30
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists(), "the warm dbt outlived the run that started it"
    assert not Path(socket_path).parent.exists()  # nor did its socket's folder
