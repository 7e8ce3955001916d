"""Where the warehouse lives, and how writers and readers share it.

DuckDB allows one writing process or many readers, never both. So the
pipeline never writes the file people read: it builds in a private working
file beside it (`<warehouse>.build`) and, when a run has succeeded,
publishes it: the working file, checkpointed and synced, is renamed over
the warehouse path, atomically. Readers (the CLI's cohorts, the dashboard)
open the published file read-only, per query; a reader that is mid-query
when a new build lands keeps the old one until it closes. A failed run
publishes nothing. The file a publish replaces keeps a second name
(`.<warehouse>.<pid>.<id>.retired`) until the next run frees it while it
ingests: freeing a file is slow on this disk, and nothing waits then.

A publish moves the working file; it copies nothing. The next run makes
its working file again from the published one (`start_restoring_build`),
in the background while ingest writes the raw file, which is all ingest
writes (`connect_raw`): the copy is off the run's path, where a publish
used to wait for it (2–4 s at 1M people). Whatever opens the working file
(`connect_build`) waits for that copy first, or makes it when no run did.

What ingest writes (raw.*: every event, tens of millions of rows) lives in
a file of its own beside the build (`<warehouse>.build.raw`), attached as
the catalog `raw`: the models read it, readers never do, and it is never
published or copied, so a publish costs nothing in proportion to the history.
One run at a time: a run (and `rollcall segments push`, which writes the
working file too) holds `<warehouse>.lock` — an exclusive `flock`, which the
kernel lets go of when the holder dies, however it dies — with the holder's
pid, start time and a token. A second run is told in one line who holds it.
A run that takes over the lock of one that died cleans what it left: any
process still carrying the dead run's token in its environment (a dbt the
killed run had started) is stopped, and the temporary copy of an
interrupted restore is removed.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import signal
import threading
import time
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from pipelines.lib.environ import setenv

DEFAULT_LANDING = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse.duckdb"


TOKEN_ENV = "ROLLCALL_RUN_TOKEN"  # set for the length of a run; inherited by dbt


class WarehouseMissing(RuntimeError):
    """No published warehouse at the path: nothing has been built yet."""


class WarehouseUnreadable(RuntimeError):
    """The file at the warehouse path is not a DuckDB database (or cannot be opened)."""


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse: "another run holds the warehouse since … (pid N)"."""


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


def attach_raw(con: duckdb.DuckDBPyConnection, beside: Path | None = None) -> None:
    """Attach the raw file beside the connection's database (or beside `beside`) as `raw`
    (in memory for an in-memory database and no `beside`).

    `raw.<table>` then names its tables, as long as the database has no
    schema called raw (an earlier layout, moved out by ingest.ensure_raw_schema).
    """
    # fetchall: a result left unfinished would refuse the connection's next statement (DuckDB 2)
    if con.execute("select count(*) from duckdb_databases() where database_name = 'raw'").fetchall()[0][0]:
        return
    path = (
        beside
        or con.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchall()[0][0]
    )
    target = str(raw_path(path)) if path else ":memory:"
    con.execute("attach '" + target.replace("'", "''") + "' as raw")


def is_busy(warehouse: Path) -> bool:
    """Whether a run holds the warehouse now (a hint: the run itself decides)."""
    try:
        with run_lock(warehouse):
            return False
    except WarehouseBusy:
        return True


def memory_limit() -> str:
    """DuckDB's memory ceiling for a writing connection and for dbt (the profile reads the same variable)."""
    return os.environ.get("ROLLCALL_MEMORY_LIMIT", "3GB")


@contextmanager
def connect_build(path: Path):
    """A writing connection to the working file and its raw file (one writer at a time).

    A working file a publish moved away is made again from the published one first
    (`restore_build`), or, when a run is already making it, waited for.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    ensure_build(path)
    try:
        con = duckdb.connect(str(path), config={"memory_limit": memory_limit()})
    except duckdb.Error as exc:
        first = " ".join(str(exc).split())[:200]
        raise WarehouseUnreadable(f"{path} cannot be opened for writing ({first})") from None
    try:
        attach_raw(con)
        yield con
    finally:
        con.close()


@contextmanager
def connect_raw(build: Path):
    """A writing connection to the raw file beside a working file, attached as `raw`, and nothing
    else (the main database is in memory): what ingest writes, while the working file may still
    be on its way back from the published one."""
    build.parent.mkdir(parents=True, exist_ok=True)
    # Spilled to disk beside the working file, as a connection to it would.
    spill = build.with_name(build.name + ".tmp")
    con = duckdb.connect(config={"memory_limit": memory_limit(), "temp_directory": str(spill)})
    try:
        attach_raw(con, beside=build)
        yield con
    finally:
        con.close()


# --- the working file, made again from the published one ---------------------

# Working files being restored in this process: path → (thread, its error if it failed).
_restoring: dict[Path, tuple[threading.Thread, list[BaseException]]] = {}


def published_path(build: Path) -> Path | None:
    """The published warehouse a working file belongs to (None for a file not named `<x>.build`)."""
    return build.with_name(build.name[: -len(".build")]) if build.name.endswith(".build") else None


def restore_build(warehouse: Path) -> None:
    """Make the working file again from the published warehouse (a publish moved it there).

    Copied to a temporary name, synced, then renamed: a working file is never half a copy.
    The caller holds the run lock.
    """
    build = build_path(warehouse)
    tmp = warehouse.with_name(f".{warehouse.name}.{os.getpid()}.tmp")
    try:
        _copy_durably(warehouse, tmp)
        os.replace(tmp, build)
    finally:
        tmp.unlink(missing_ok=True)


def start_restoring_build(warehouse: Path) -> None:
    """`restore_build` in the background; `connect_build` waits for it, and the run, before it
    ends, `settle_restoring`."""
    build = build_path(warehouse)
    errors: list[BaseException] = []

    def restore() -> None:
        try:
            restore_build(warehouse)
        except BaseException as exc:  # re-raised by whoever waits for the working file
            errors.append(exc)

    thread = threading.Thread(target=restore, name="restore-build", daemon=True)
    _restoring[build] = (thread, errors)
    thread.start()


def settle_restoring(build: Path) -> BaseException | None:
    """Wait for a background restore of this working file, if one was started: its error, if any."""
    pending = _restoring.pop(build, None)
    if pending is None:
        return None
    thread, errors = pending
    thread.join()
    return errors[0] if errors else None


def ensure_build(build: Path) -> None:
    """The working file is there: made again from the published one if a publish moved it (waiting
    for a run that is making it). Call it before anything opens the working file by name (dbt)."""
    error = settle_restoring(build)
    if error is not None:
        raise error
    warehouse = published_path(build)
    if not build.exists() and warehouse is not None and warehouse.exists():
        restore_build(warehouse)


@contextmanager
def connect_read(warehouse: Path):
    """A read-only connection to the published warehouse, for one query or page."""
    if not warehouse.exists():
        raise WarehouseMissing(f"no warehouse at {warehouse}: run `rollcall run` (or `rollcall demo`) first")
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        first = " ".join(str(exc).split())[:200]
        raise WarehouseUnreadable(f"{warehouse} is not a DuckDB warehouse ({first})") from None
    try:
        yield con
    finally:
        con.close()


def publish(build: Path, warehouse: Path, inputs_sha256: str | None = None) -> None:
    """Atomically replace the published warehouse with the working file, checkpointed and synced.

    The working file moves: the next run makes it again from the published copy
    (`start_restoring_build`). `inputs_sha256` (pipelines/lib/runstate.py) is recorded
    in it: what it was built from.
    """
    from pipelines.lib import runstate

    with connect_build(build) as con:
        if inputs_sha256 is not None:
            runstate.record_published(con, inputs_sha256)
        con.sql("checkpoint")
        con.sql("checkpoint raw")
    # A checkpointed, closed database has everything in its file: a write-ahead log
    # left beside it would not move with it.
    wal = build.with_name(build.name + ".wal")
    if wal.exists():
        raise RuntimeError(f"{wal} is left after a checkpoint: nothing published")
    with open(build, "rb") as handle:
        os.fsync(handle.fileno())
    if warehouse.exists():
        # The file it replaces is kept by a second name and freed by the next
        # run while it ingests (`free_retired`): freeing 1.6 GB took 1.3 s
        # here, and nothing waits for it then.
        retired = warehouse.with_name(f".{warehouse.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.retired")
        os.link(warehouse, retired)
    os.replace(build, warehouse)
    _fsync_dir(warehouse.parent)


def _fsync_dir(folder: Path) -> None:
    """A rename in `folder` reaches the disk."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# What a restore copies at a time; another thread writes it to disk meanwhile.
_CHUNK = 64 << 20


def _copy_durably(source: Path, target: Path) -> None:
    """Copy `source` to `target` and fsync it, the disk writing while the copy goes on.

    A copy then one fsync (the old way) does the two one after the other:
    ~1 s to copy 1.6 GB into the page cache, then ~2.5 s to write it out.
    """
    done = threading.Event()

    def flush(fd: int) -> None:
        while not done.is_set():
            os.fdatasync(fd)
            done.wait(0.05)

    with open(source, "rb") as src, open(target, "wb") as dst:
        writer = threading.Thread(target=flush, args=(dst.fileno(),), daemon=True)
        writer.start()
        try:
            size, offset = os.fstat(src.fileno()).st_size, 0
            while offset < size:
                offset += os.sendfile(dst.fileno(), src.fileno(), offset, min(_CHUNK, size - offset))
        finally:
            done.set()
            writer.join()
        os.fsync(dst.fileno())


def retired_copies(warehouse: Path) -> list[Path]:
    """Published copies a publish has replaced, not freed yet (`publish`)."""
    pattern = re.compile(rf"^\.{re.escape(warehouse.name)}\.\d+\.[0-9a-f]{{8}}\.retired$")
    if not warehouse.parent.is_dir():
        return []
    return [p for p in warehouse.parent.iterdir() if pattern.match(p.name)]


def free_retired(warehouse: Path) -> threading.Thread:
    """Free the replaced published copies in the background; join the thread before the run ends.

    A reader still holding one open keeps reading it: the kernel frees it when they close it.
    """
    found = retired_copies(warehouse)

    def free() -> None:
        for path in found:
            path.unlink(missing_ok=True)

    thread = threading.Thread(target=free, name="free-retired", daemon=True)
    thread.start()
    return thread


# --- one run at a time ------------------------------------------------------


def lock_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".lock")


def _holder(fd: int) -> dict:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    try:
        found = json.loads(raw) if raw.strip() else {}
    except ValueError:
        found = {}
    return found if isinstance(found, dict) else {}


@contextmanager
def run_lock(warehouse: Path, what: str = "run"):
    """Hold the warehouse for one run (or push); WarehouseBusy (one line) when another holds it.

    Taking over the lock of a run that died cleans its leftovers first
    (`clean_leftovers`). Yields the token dbt and every child inherit.
    """
    path = lock_path(warehouse)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        since = holder.get("since", "an unknown time")
        doing = f", {holder['what']}" if holder.get("what") and holder.get("what") != "run" else ""
        raise WarehouseBusy(
            f"another run holds the warehouse since {since} (pid {holder.get('pid', '?')}{doing}); "
            f"wait for it to finish (lock: {path})"
        ) from None
    try:
        clean_leftovers(warehouse, _holder(fd))
        token = uuid.uuid4().hex
        since = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %Z").strip()
        os.ftruncate(fd, 0)
        os.pwrite(
            fd, json.dumps({"pid": os.getpid(), "since": since, "token": token, "what": what}).encode(), 0
        )
        os.fsync(fd)
        with setenv(TOKEN_ENV, token):
            yield token
    finally:
        os.ftruncate(fd, 0)  # an empty lock file: the last holder finished
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            state = handle.read().rsplit(")", 1)[-1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def _wait_gone(pids: list[int], seconds: float) -> list[int]:
    """The pids still alive after waiting up to `seconds` for them to end."""
    deadline = time.monotonic() + seconds
    while pids and time.monotonic() < deadline:
        pids = [p for p in pids if _alive(p)]
        if pids:
            time.sleep(0.1)
    return pids


def processes_with_token(token: str) -> list[int]:
    """Pids of our processes whose environment carries this run token (dbt started by that run)."""
    needle = f"{TOKEN_ENV}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def clean_leftovers(warehouse: Path, previous: dict) -> list[str]:
    """What a crashed run left, removed: its processes (dbt) and its publish's temporary copies.

    `previous` is what the crashed run wrote in the lock file (empty after a
    clean finish). Returns what was done, for the log.
    """
    done = []
    token = previous.get("token")
    if isinstance(token, str) and re.fullmatch(r"[0-9a-f]{32}", token):
        pids = processes_with_token(token)
        for pid in pids:
            with suppress(OSError):
                os.kill(pid, signal.SIGTERM)
                os.kill(pid, signal.SIGCONT)  # a stopped process gets the SIGTERM too
                done.append(f"stopped pid {pid} left by the run of pid {previous.get('pid')}")
        pids = _wait_gone(pids, 5)
        for pid in pids:
            with suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        _wait_gone(pids, 10)
    pattern = re.compile(rf"^\.{re.escape(warehouse.name)}\.(\d+)\.tmp$")
    if warehouse.parent.is_dir():
        for leftover in warehouse.parent.iterdir():
            match = pattern.match(leftover.name)
            if match and int(match.group(1)) != os.getpid() and not _alive(int(match.group(1))):
                leftover.unlink(missing_ok=True)
                done.append(f"removed {leftover}")
    return done
