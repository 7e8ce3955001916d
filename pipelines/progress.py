"""`rollcall run`'s progress on a terminal: each step as it starts and ends, rows, elapsed time.

Fed by Dagster's event stream (`DagsterInstance.add_event_listener` on the
in-process run), so what it shows is what the run does: a step's start, each
asset it materialises with the rows its metadata reports (dbt's models one by
one inside the long dbt step), the step's end and duration. Nothing is shown
when standard output is not a terminal (cron, CI, a pipe): `rollcall run`
then prints only its closing summary.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

ROW_KEYS = ("rows_loaded", "rows", "row_count", "dagster/row_count", "rows_affected", "members")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:>3d}:{secs:02d}"


def _rows(metadata: dict) -> int | None:
    for key in ROW_KEYS:
        value = metadata.get(key)
        value = getattr(value, "value", value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


class Progress:
    """Writes one line per step event to `out` (a terminal)."""

    def __init__(self, out: TextIO | None = None):
        self.out = out or sys.stdout
        self.started = time.monotonic()
        self.step_started: dict[str, float] = {}
        self.step_rows: dict[str, int] = {}

    def line(self, text: str) -> None:
        self.out.write(f"{_clock(time.monotonic() - self.started)}  {text}\n")
        self.out.flush()

    def on_event(self, entry) -> None:
        event = entry.get_dagster_event() if entry.is_dagster_event else None
        if event is None or not event.step_key:
            return
        step, kind = event.step_key, event.event_type_value
        if kind == "STEP_START":
            self.step_started[step] = time.monotonic()
            self.line(f"▶ {step} …")
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.event_specific_data.materialization
            rows = _rows(dict(materialization.metadata or {}))
            name = materialization.asset_key.to_user_string()
            if rows is not None:
                self.step_rows[step] = self.step_rows.get(step, 0) + rows
            self.line(f"  · {name}" + (f": {rows:,} rows" if rows is not None else ""))
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            took = time.monotonic() - self.step_started.get(step, time.monotonic())
            rows = self.step_rows.get(step)
            mark = "✓" if kind == "STEP_SUCCESS" else "✗"
            self.line(f"{mark} {step} in {took:.1f} s" + (f", {rows:,} rows" if rows is not None else ""))
