"""Where the warehouse lives, and how writers and readers share it.

DuckDB allows one writing process or many readers, never both. So the
pipeline never writes the file people read: it builds in a private working
file beside it (`<warehouse>.build`) and, when a run has succeeded, publishes
a copy over the warehouse path with an atomic rename. Readers (the CLI's
cohorts, the dashboard) open the published file read-only, per query; a
reader that is mid-query when a new copy lands keeps the old one until it
closes. A failed run publishes nothing.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import duckdb

DEFAULT_LANDING = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"


class WarehouseMissing(RuntimeError):
    """No published warehouse at the path: nothing has been built yet."""


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse's working file; the message is one line."""


def landing_path(value: str | os.PathLike | None = None) -> Path:
    return Path(value or os.environ.get("ROLLCALL_LANDING", DEFAULT_LANDING)).resolve()


def warehouse_path(value: str | os.PathLike | None = None) -> Path:
    return Path(value or os.environ.get("ROLLCALL_WAREHOUSE", DEFAULT_WAREHOUSE)).resolve()


def build_path(warehouse: Path) -> Path:
    """The pipeline's private working file for a published warehouse path."""
    return warehouse.with_name(warehouse.name + ".build")


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(f".{warehouse.name}.run.lock")


@contextmanager
def run_lock(warehouse: Path):
    """Hold the right to write `<warehouse>.build` and publish, for one run; refuse at once if held.

    Every writer takes it (a run, `rollcall segments build` or `push`, the
    builder page's "save and build"), so two never interleave on the build file.
    """
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(warehouse), os.O_CREAT | os.O_RDWR, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise WarehouseBusy(
            f"a run is building {warehouse} right now; try again when it has published"
        ) from None
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def is_busy(warehouse: Path) -> bool:
    """Whether a run holds the warehouse now (a hint: the run itself decides)."""
    try:
        with run_lock(warehouse):
            return False
    except WarehouseBusy:
        return True


@contextmanager
def connect_build(path: Path):
    """A writing connection to the working file (one writer at a time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), config={"memory_limit": os.environ.get("ROLLCALL_MEMORY_LIMIT", "3GB")})
    try:
        yield con
    finally:
        con.close()


@contextmanager
def connect_read(warehouse: Path):
    """A read-only connection to the published warehouse, for one query or page."""
    if not warehouse.exists():
        raise WarehouseMissing(f"no warehouse at {warehouse}: run `rollcall run` (or `rollcall demo`) first")
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        yield con
    finally:
        con.close()


def publish(build: Path, warehouse: Path) -> None:
    """Atomically replace the published warehouse with a checkpointed copy of the build."""
    with connect_build(build) as con:
        con.sql("checkpoint")
    tmp = warehouse.with_name(f".{warehouse.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(build, tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, warehouse)
    finally:
        tmp.unlink(missing_ok=True)
