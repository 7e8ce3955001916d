"""A pull in its own process, for the kill -9 test: `python -m tests.pull_child LANDING URL`.

Prints `ready`, then pulls with a fast client (the test's server answers at
once); exit 0 when done, 3 when Action Network stayed unavailable.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pipelines.lib import actionnetwork as an
from pipelines.lib import pull
from tests.an_server import TOKEN


def main(landing: str, url: str) -> int:
    client = an.Client(url, TOKEN, rate=200.0, retries=8, backoff=0.01)
    print("ready", flush=True)
    try:
        print(pull.pull(Path(landing), client).line(), flush=True)
    except an.Unavailable as exc:
        print(f"unavailable: {exc}", flush=True)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
