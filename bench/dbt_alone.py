"""Where a dbt build's time goes: each model and data test it ran, run again alone, one at a time.

    uv run python bench/dbt_alone.py WAREHOUSE RUN_FOLDER

WAREHOUSE is a built warehouse (`bench/run.py --keep-warehouse FILE` keeps
one) with its raw file beside it (`FILE.build.raw`); RUN_FOLDER is the dbt
run folder of the build (`dbt_project/target/rollcall_dbt_models-…`, which
holds the compiled SQL, the manifest and run_results.json). Every model
stored as a table is built again from its compiled SQL into a scratch file
(the views are what those read), every data test is run, in the build's
order, alone, on DuckDB's settings of a dbt run. The models are split into
the funnel and what it reads, which the baseline also builds, and the rest,
which it does not. Printed: wall and CPU seconds of each part, and the
slowest of each, beside what the build itself took.
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.lib.warehouse import memory_limit

FUNNEL = "model.rollcall.person_campaign_funnel"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _compiled(run_folder: Path, node: dict) -> str:
    return (run_folder / "compiled" / "rollcall" / node["original_file_path"]).read_text()


def _funnel_and_what_it_reads(manifest: dict) -> set[str]:
    reached, todo = {FUNNEL}, [FUNNEL]
    while todo:
        for parent in manifest["parent_map"].get(todo.pop(), []):
            if parent not in reached:
                reached.add(parent)
                todo.append(parent)
    return reached


def main(warehouse: Path, run_folder: Path) -> None:
    manifest = json.loads((run_folder / "manifest.json").read_text())
    run_results = json.loads((run_folder / "run_results.json").read_text())
    results = run_results["results"]
    shared = _funnel_and_what_it_reads(manifest)
    scratch = Path(tempfile.mkdtemp(prefix="rollcall-dbt-alone-")) / "scratch.duckdb"
    con = duckdb.connect(str(scratch))
    # As dbt has them: the built file as `w` (its name in the compiled SQL), raw beside it.
    con.execute(f"attach '{warehouse}' as w (read_only)")
    con.execute(f"attach '{warehouse}.build.raw' as raw (read_only)")
    # The ceiling a dbt run has (ROLLCALL_MEMORY_LIMIT, as the profile reads it), not a copy of its default.
    con.execute(f"set memory_limit = '{memory_limit()}'; set preserve_insertion_order = false")
    parts: dict[str, list[tuple[float, float, float, str]]] = {
        "models the baseline also builds (the funnel and what it reads)": [],
        "models the baseline does not build": [],
        "data tests": [],
    }
    for result in results:
        node = manifest["nodes"].get(result["unique_id"])
        if node is None or node["resource_type"] not in ("model", "test"):
            continue
        if node["resource_type"] == "model":
            if node["config"]["materialized"] == "view":
                continue
            part = list(parts)[0 if result["unique_id"] in shared else 1]
            query = f"create or replace table main.{node['name']} as ({_compiled(run_folder, node)})"
        else:
            part = "data tests"
            path = run_folder / "compiled" / "rollcall" / node["original_file_path"] / node["path"]
            query = f"select count(*) from ({path.read_text()}) as failures"
        started, cpu = time.perf_counter(), _cpu()
        con.execute(query).fetchall()
        parts[part].append(
            (time.perf_counter() - started, _cpu() - cpu, result["execution_time"], node["name"])
        )
    con.close()
    for name, runs in parts.items():
        wall, cpu, in_build = (sum(run[i] for run in runs) for i in range(3))
        print(
            f"{name}: {len(runs)}, alone {wall:.1f} s wall, {cpu:.1f} s CPU "
            f"(in the build: {in_build:.1f} s, summed over its threads)"
        )
        for wall, cpu, in_build, node in sorted(runs, key=lambda run: -run[1])[:6]:
            print(f"    {node[:60]:<60} {wall:6.2f} s wall {cpu:6.2f} s CPU (build {in_build:.2f} s)")
    print(f"the build's dbt run: {run_results['elapsed_time']:.1f} s")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    main(Path(sys.argv[1]), Path(sys.argv[2]))
