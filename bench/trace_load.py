"""Where one source's load spends its time, statement by statement.

    uv run python bench/trace_load.py SOURCE LANDING [WAREHOUSE]

Loads SOURCE (sendgrid, twilio_messages, people, …) from the LANDING folder
into a fresh raw file beside WAREHOUSE (by default a temporary path) through
`ingest.load_source`, on the connection a run's ingest opens (the same memory
ceiling, `ROLLCALL_MEMORY_LIMIT`, and spill folder), timing every statement
it sends DuckDB, and prints the
total, the time spent outside DuckDB (Python: digests, file shapes, batches)
and the statements that cost the most, alone and grouped by their start.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from pipelines.lib import ingest
from pipelines.lib.warehouse import connect_raw


class Timed:
    """A connection (or cursor) whose every call is timed into `log`."""

    def __init__(self, con, log: list, name: str = "con") -> None:
        self._con, self._log, self._name = con, log, name

    def __getattr__(self, attr: str):
        target = getattr(self._con, attr)
        if attr == "cursor":
            return lambda *args, **kwargs: Timed(target(*args, **kwargs), self._log, "cursor")
        if not callable(target):
            return target

        def call(*args, **kwargs):
            started = time.perf_counter()
            result = target(*args, **kwargs)
            text = re.sub(r"\s+", " ", str(args[0]) if args else "").strip()
            self._log.append((time.perf_counter() - started, f"{self._name}.{attr} {text}"))
            return result

        return call


def main(source: str, landing: Path, warehouse: Path | None) -> None:
    warehouse = warehouse or Path(tempfile.mkdtemp(prefix="rollcall-trace-")) / "trace.duckdb"
    for leftover in warehouse.parent.glob(warehouse.name + "*"):
        if leftover.is_dir():
            shutil.rmtree(leftover)
        else:
            leftover.unlink()
    log: list[tuple[float, str]] = []
    # As a run's ingest connects: with a connection of DuckDB's own defaults (a memory
    # ceiling of 80% of the machine), the 5M sample's loads took a fifth less than in a run.
    with connect_raw(warehouse) as con:
        started = time.perf_counter()
        result = ingest.load_source(Timed(con, log), landing, source)
        total = time.perf_counter() - started
    inside = sum(seconds for seconds, _ in log)
    print(f"{source}: {total:.1f} s, {result.rows_loaded:,} rows loaded, {result.rows_rejected:,} rejected")
    print(f"  in DuckDB statements {inside:.1f} s; outside them (Python) {total - inside:.1f} s")
    print("  slowest statements:")
    for seconds, text in sorted(log, reverse=True)[:8]:
        print(f"    {seconds:7.2f}  {text[:100]}")
    groups: dict[str, list[float]] = defaultdict(list)
    for seconds, text in log:
        groups[text[:60]].append(seconds)
    print("  by statement (first 60 characters): seconds, times")
    for text, times in sorted(groups.items(), key=lambda item: -sum(item[1]))[:12]:
        print(f"    {sum(times):7.2f} {len(times):5d}  {text}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.splitlines()[2].strip())
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) == 4 else None)
