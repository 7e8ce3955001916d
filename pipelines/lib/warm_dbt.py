"""dbt, imported before a run needs it: each dbt step is a fork of a process that already has dbt.

Starting dbt costs ~1.7 s on these machines before it reads a file (Python
importing dbt-core, its adapters and their dependencies), in every dbt step:
8% of a daily build at 1M people, which is ~20 s. A run (`pipelines/run.py`)
binds a Unix socket and starts `serve` on it first thing; the server imports
dbt while the run loads its own modules and ingests, then accepts. dagster-dbt runs `rollcall-dbt`
(`client`) as its dbt executable, which hands the socket its arguments, its
environment, its folder and its stdin/stdout/stderr; the server forks, and
the child runs dbt's command line on them exactly as the `dbt` executable
would, in a fresh process of its own, and reports its exit code. The client
passes SIGINT/SIGTERM on to that child (dagster-dbt stops dbt with SIGINT) and
exits with its code.

Nothing depends on the server being there: with no server (the Dagster UI,
a server that failed to start), `client` replaces itself with the `dbt`
executable. The server leaves when the run stops it or when the run that
started it is gone. The forked dbt runs in the step's environment, though
its `/proc/<pid>/environ` (where `warehouse.clean_leftovers` finds a dead
run's dbt by its token) shows the server's, which carries the same run token.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import traceback
from contextlib import contextmanager, suppress
from pathlib import Path

from pipelines.lib.environ import setenv

SOCKET_ENV = "ROLLCALL_WARM_DBT"  # the server's socket, for the client
_HEADER = struct.Struct("!Q")  # the request's length, sent with the three descriptors


def dbt_executable() -> str:
    """The `dbt` of this environment (beside its Python)."""
    return str(Path(sys.executable).with_name("dbt"))


# --- the client: the dbt executable dagster-dbt runs --------------------------------


def client() -> None:
    """Run dbt with this process's arguments: in a fork of the warm server when there is one."""
    path = os.environ.get(SOCKET_ENV)
    if path:
        try:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            conn.connect(path)
        except OSError as exc:
            conn, why = None, exc.strerror
        if conn is not None:
            code = _through(conn)
            if code is not None:
                sys.exit(code)
            why = "it stopped"
        # dagster-dbt logs a line that is not one of dbt's events as it is.
        print(f"rollcall-dbt: no warm dbt at {path} ({why}): starting dbt", file=sys.stderr, flush=True)
    dbt = dbt_executable()
    os.execv(dbt, [dbt, *sys.argv[1:]])


def _through(conn: socket.socket) -> int | None:
    """dbt's exit code, or None when the server started no dbt (the caller starts it itself)."""
    child: list[int] = []
    pending: list[int] = []

    def forward(signum, _frame):
        if not child:
            pending.append(signum)
            return
        with suppress(ProcessLookupError):
            os.kill(child[0], signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    request = json.dumps({"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd()}).encode()
    try:
        socket.send_fds(conn, [_HEADER.pack(len(request))], [0, 1, 2])
        conn.sendall(request)
        replies = conn.makefile("r", encoding="ascii")
        first = replies.readline()
    except OSError:
        first = ""
    if not first.strip():
        # The server went away before it forked a dbt: the caller starts one, unless told to stop.
        return 128 + pending[0] if pending else None
    child.append(int(first))
    for signum in pending:
        forward(signum, None)
    last = replies.readline()
    # No exit code: the dbt process died before it could say (killed).
    return int(last) if last.strip() else 1


# --- the server: started by a run, forks a dbt per request --------------------------


def serve(listening: int, parent: int) -> None:
    """Import dbt, then fork a dbt per request on the listening socket `listening` (a file
    descriptor the run bound: a client that comes early waits for the import), until
    `parent` is gone or a SIGTERM."""
    listener = socket.socket(fileno=listening)
    path = listener.getsockname()
    # dbt's command line, the build task and the adapter the profile names: what a dbt step imports.
    for module in ("dbt.cli.main", "dbt.task.build", "dbt.adapters.duckdb"):
        importlib.import_module(module)

    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the forked dbts reap themselves
    listener.settimeout(1.0)
    try:
        while os.getppid() == parent:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(None)
            # Said before the fork: the dbt it starts cannot have answered before this line is written.
            print("forking a dbt", file=sys.stderr, flush=True)
            if os.fork() == 0:
                listener.close()
                _child(conn)  # never returns
            conn.close()
    finally:
        # The run that started it died: nothing of it stays (a stopped run's folder goes with it).
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)


def _child(conn: socket.socket) -> None:
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        header, fds, _, _ = socket.recv_fds(conn, _HEADER.size, 3)
        (length,) = _HEADER.unpack(header)
        payload = b""
        while len(payload) < length:
            chunk = conn.recv(length - len(payload))
            if not chunk:
                raise EOFError("the client went away")
            payload += chunk
        for target, fd in zip((0, 1, 2), fds, strict=True):
            os.dup2(fd, target)
            os.close(fd)
        # Line by line, as dagster-dbt asks of dbt (PYTHONUNBUFFERED): it reads the events as they come.
        sys.stdout = open(1, "w", buffering=1, encoding=sys.stdout.encoding, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, encoding=sys.stderr.encoding, closefd=False)  # noqa: SIM115
        request = json.loads(payload)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = [dbt_executable(), *request["argv"]]
        conn.sendall(f"{os.getpid()}\n".encode())
        from dbt.cli.main import cli

        try:
            cli.main(args=request["argv"], prog_name="dbt")
            code = 0
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        with suppress(OSError):
            sys.stdout.flush()
            sys.stderr.flush()
            conn.sendall(f"{code}\n".encode())
        os._exit(code)


@contextmanager
def warm_dbt(log: Path | None = None):
    """A warm dbt server for the length of the block; the client finds it through SOCKET_ENV.

    `log`: where the server says what it forked (a line a dbt); nowhere by default."""
    folder = tempfile.mkdtemp(prefix="rollcall-dbt-")
    path = os.path.join(folder, "dbt.sock")
    # Bound here, before the server starts: a dbt step that comes before it is ready waits.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
        listener.bind(path)
        listener.listen(8)
        with open(os.devnull if log is None else log, "a", encoding="utf-8") as err:
            server = subprocess.Popen(
                [sys.executable, "-m", "pipelines.lib.warm_dbt", str(listener.fileno()), str(os.getpid())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                # Its own failures too: then it never answers, and the client starts dbt itself.
                stderr=err,
                pass_fds=[listener.fileno()],
            )
    try:
        with setenv(SOCKET_ENV, path):
            yield server
    finally:
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    serve(int(sys.argv[1]), int(sys.argv[2]))
