"""rollcall's pipelines: the ingest, the dbt build, segments and the command line."""

import os

import pyarrow

# Arrow's buffers come from the C library's allocator, unless ARROW_DEFAULT_MEMORY_POOL says
# otherwise. pyarrow's default here (mimalloc) touched fresh pages for each large buffer, and a
# page first touched is slow on these virtual machines: handing the 1M sample's 727k Action
# Network records to DuckDB took 2.2 s of Arrow work with it, 0.5 s with the system allocator
# (the whole actions load: 7.4/9.0 s against 6.0/5.5 s, alternating).
if not os.environ.get("ARROW_DEFAULT_MEMORY_POOL"):
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
