"""A push in its own process, for the kill -9 tests: `python -m tests.push_child DB SEGMENTS_YML URL [sync]`.

Prints `ready` once the warehouse is open, then pushes every segment of the
file with a fast client (the test's server answers at once); exit 0 when
done, 3 when Action Network stayed unavailable. With `sync`, each segment is
synced per its mode (`sync_segment`: mirror adds and removes) and a run with
failed records exits 4 (they are retried by the next run).
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

from pipelines.lib import actionnetwork as an
from pipelines.lib import segments as seg
from tests.an_server import TOKEN


def main(db: str, segments_yml: str, url: str, how: str = "push") -> int:
    segments = seg.load(Path(segments_yml))
    con = duckdb.connect(db)
    print("ready", flush=True)
    client = an.Client(url, TOKEN, rate=200.0, retries=3, backoff=0.01)
    failed = 0
    try:
        for segment in segments:
            if how == "sync":
                summary = an.sync_segment(con, client, segment, max_remove_pct=None)
                failed += len(summary.failed)
                print(summary.line(), flush=True)
                continue
            print(an.push_segment(con, client, segment).line(), flush=True)
    except an.PushAborted as exc:
        print(exc.summary.line(), flush=True)
        return 3
    finally:
        con.close()
    return 4 if failed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
