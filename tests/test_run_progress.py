"""`rollcall run` on a terminal shows each step as it goes; piped, it prints only its summary."""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def private_copy(built: dict, into: Path) -> tuple[Path, Path]:
    landing, warehouse = into / "landing", into / "warehouse.duckdb"
    shutil.copytree(built["landing"], landing)
    shutil.copyfile(built["warehouse"], warehouse)
    return landing, warehouse


def command(landing: Path, warehouse: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "pipelines.cli",
        "run",
        "--landing",
        str(landing),
        "--warehouse",
        str(warehouse),
    ]


def test_on_a_terminal_each_step_rows_and_elapsed_time(built, tmp_path):
    landing, warehouse = private_copy(built, tmp_path)
    # A new day's file, so an ingest step has rows to report.
    shutil.copyfile(landing / "people" / "activists.csv", landing / "people" / "activists-2.csv")
    main, child = pty.openpty()
    proc = subprocess.Popen(command(landing, warehouse), cwd=ROOT, stdout=child, stderr=child)
    os.close(child)
    chunks = []
    deadline = time.monotonic() + 600
    # Read until the run has exited and its terminal is drained (dbt's helpers may keep it open).
    while time.monotonic() < deadline:
        ready, _, _ = select.select([main], [], [], 1.0)
        if ready:
            try:
                data = os.read(main, 4096)
            except OSError:  # the terminal closed
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(main)
    assert proc.wait(timeout=600) == 0
    lines = b"".join(chunks).decode().replace("\r", "").splitlines()
    steps = [line for line in lines if re.match(r"^\s*\d+:\d\d  [▶✓] ", line)]
    started = {line.split("▶ ")[1].rstrip(" …") for line in steps if "▶" in line}
    finished = {re.search(r"✓ (\S+) in", line).group(1) for line in steps if "✓" in line}
    assert {"rollcall_dbt_models", "published_warehouse"} <= started == finished
    assert any(re.search(r"✓ \S+ in \d+\.\d s", line) for line in steps)
    assert any(re.search(r"· marts/people", line) for line in lines)  # dbt's models one by one
    assert any(re.search(r"rows", line) for line in steps)
    assert lines[-1].startswith(f"published {warehouse}: ")


def test_not_a_terminal_prints_only_the_summary(built, tmp_path):
    landing, warehouse = private_copy(built, tmp_path)
    out = subprocess.run(command(landing, warehouse), cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.splitlines() == [out.stdout.strip()]
    assert out.stdout.startswith(f"published {warehouse}: 8 people, 3 campaigns")
