"""An environment variable set for the length of a block."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def setenv(name: str, value: str) -> Iterator[None]:
    """`name` is `value` inside the block (for this process and every child it starts), and
    afterwards what it was before: unset if it was unset."""
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous
