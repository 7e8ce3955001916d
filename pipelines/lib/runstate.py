"""What a run reads, so that a run with nothing new does nothing.

A run reads the landed files, the dbt project (models, macros, dbt_project.yml),
and segments.yml.
Their fingerprint (each landed file's path, size and modification time; the
models' and segments.yml's bytes) is worked out before anything starts, and
the publish step writes it into the warehouse it publishes
(`meta.published_runs`, its only writer). The next run compares: the same
fingerprint means nothing new landed and nothing changed, so it returns at
once and publishes nothing.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from pathlib import Path

import duckdb

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"

PUBLISHED_RUNS_DDL = """
create schema if not exists meta;
create table if not exists meta.published_runs (published_at timestamp, inputs_sha256 varchar);
"""


# What turns the models into SQL besides their own files: the adapter's and dbt's macros.
DBT_PACKAGES = ("dbt-core", "dbt-duckdb")


def models_sha256(project: Path = DBT_DIR) -> str:
    """One digest of what makes the models' SQL: an incremental build adds to tables built by the same code.

    The models and macros, the project file (its configs reach every model), and the
    versions of dbt and its DuckDB adapter (their macros write the DDL and the cross-database SQL).
    """
    digest = hashlib.sha256()
    for name in DBT_PACKAGES:
        digest.update(f"{name}=={importlib.metadata.version(name)}\0".encode())
    files = [project / "dbt_project.yml"]
    files += sorted(
        path for folder in ("models", "macros") for path in (project / folder).rglob("*") if path.is_file()
    )
    for path in files:
        digest.update(str(path.relative_to(project)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def inputs_fingerprint(landing: Path, segments_file: Path | None = None) -> str:
    """Every landed file (path, size, mtime), the models, and segments.yml, as one digest."""
    digest = hashlib.sha256(models_sha256().encode())
    for root, dirs, files in os.walk(landing):
        dirs.sort()
        for name in sorted(files):
            if name.startswith((".", "_")):
                continue
            path = Path(root) / name
            stat = path.stat()
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    if segments_file is not None and segments_file.is_file() and not segments_file.is_relative_to(landing):
        digest.update(segments_file.read_bytes())
    return digest.hexdigest()


def last_published_inputs(warehouse: Path) -> str | None:
    """The fingerprint the published warehouse was built from, or None (none, or not readable now)."""
    if not warehouse.exists():
        return None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            row = con.execute(
                "select inputs_sha256 from meta.published_runs order by published_at desc limit 1"
            ).fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def record_published(con: duckdb.DuckDBPyConnection, inputs_sha256: str) -> None:
    """Called by the publish step on the build it is about to publish."""
    con.execute(PUBLISHED_RUNS_DDL)
    con.execute("insert into meta.published_runs values (now()::timestamp, ?)", [inputs_sha256])
