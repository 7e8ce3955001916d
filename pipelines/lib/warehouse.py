"""Where the warehouse lives, and how writers and readers share it.

DuckDB allows one writing process or many readers, never both. So the
pipeline never writes the file people read: it builds in a private working
file beside it (`<warehouse>.build`) and, when a run has succeeded, publishes
a copy over the warehouse path with an atomic rename. Readers (the CLI's
cohorts, the dashboard) open the published file read-only, per query; a
reader that is mid-query when a new copy lands keeps the old one until it
closes. A failed run publishes nothing.

What ingest writes (raw.*: every event, tens of millions of rows) lives in
a file of its own beside the build (`<warehouse>.build.raw`), attached as
the catalog `raw`: the models read it, readers never do, and publishing
copies only the build file (the marts, segments and the small tables under
them), so a publish costs in proportion to the marts, not to the history.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import duckdb

DEFAULT_LANDING = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"


class WarehouseMissing(RuntimeError):
    """No published warehouse at the path: nothing has been built yet."""


def landing_path(value: str | os.PathLike | None = None) -> Path:
    return Path(value or os.environ.get("ROLLCALL_LANDING", DEFAULT_LANDING)).resolve()


def warehouse_path(value: str | os.PathLike | None = None) -> Path:
    return Path(value or os.environ.get("ROLLCALL_WAREHOUSE", DEFAULT_WAREHOUSE)).resolve()


def build_path(warehouse: Path) -> Path:
    """The pipeline's private working file for a published warehouse path."""
    return warehouse.with_name(warehouse.name + ".build")


def raw_path(database: Path | str) -> Path:
    """The file the raw tables of a warehouse file live in (attached to it as `raw`)."""
    database = Path(database)
    return database.with_name(database.name + ".raw")


def attach_raw(con: duckdb.DuckDBPyConnection) -> None:
    """Attach the raw file beside the connection's database as `raw` (in memory for an in-memory one).

    `raw.<table>` then names its tables, as long as the database has no
    schema called raw (an earlier layout, moved out by ingest.ensure_raw_schema).
    """
    if con.execute("select count(*) from duckdb_databases() where database_name = 'raw'").fetchone()[0]:
        return
    path = con.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()[0]
    target = str(raw_path(path)) if path else ":memory:"
    con.execute("attach '" + target.replace("'", "''") + "' as raw")


@contextmanager
def connect_build(path: Path):
    """A writing connection to the working file and its raw file (one writer at a time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), config={"memory_limit": os.environ.get("ROLLCALL_MEMORY_LIMIT", "3GB")})
    try:
        attach_raw(con)
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


def publish(build: Path, warehouse: Path, inputs_sha256: str | None = None) -> None:
    """Atomically replace the published warehouse with a checkpointed copy of the build.

    `inputs_sha256` (pipelines/lib/runstate.py) is recorded in the copy: what it was built from.
    """
    from pipelines.lib import runstate

    with connect_build(build) as con:
        if inputs_sha256 is not None:
            runstate.record_published(con, inputs_sha256)
        con.sql("checkpoint")
        con.sql("checkpoint raw")
    tmp = warehouse.with_name(f".{warehouse.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(build, tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, warehouse)
    finally:
        tmp.unlink(missing_ok=True)
