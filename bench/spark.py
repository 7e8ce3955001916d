"""The same dbt build on DuckDB and on Spark, on a sample of N people; prints both times.

    uv run python bench/spark.py --people 100000 [--work DIR]

Writes the sample landing folder, runs `rollcall run` (ingest into DuckDB),
then times a full `dbt build` of the models on DuckDB (`--full-refresh`) and
on a local Spark session (dbt-spark's session method, Parquet tables, the
raw tables exported from DuckDB as Parquet and registered as Spark tables,
as tests/dbt/test_spark_parity.py does), and compares the marts' row counts.
Needs Java 17 (`java` on PATH) and a machine otherwise idle.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dbt.cli.main import dbtRunner
from pyspark.sql import SparkSession

from pipelines.lib import sample
from pipelines.lib import warehouse as wh
from pipelines.run import run_all
from tests.dbt.conftest import PROJECT_DIR
from tests.dbt.test_spark_parity import _register_raw, _spark_conf


def _dbt(args: list[str], env: dict[str, str]) -> float:
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        started = time.perf_counter()
        res = dbtRunner().invoke(args)
        took = time.perf_counter() - started
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    failed = [r.node.name for r in (res.result or []) if str(r.status) in ("error", "fail", "runtime error")]
    if not res.success or failed:
        raise SystemExit(f"dbt failed: {res.exception or failed}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--campaigns", type=int, default=40)
    parser.add_argument("--work", type=Path, help="a folder to keep (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="rollcall-spark-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    landing, warehouse = work / "landing", work / "warehouse.duckdb"
    if not (landing / "campaigns.yml").exists():
        sample.generate(landing, people=args.people, campaigns=args.campaigns, email_share=0.3)
    if not warehouse.exists():
        run_all(landing, warehouse)
    build = wh.build_path(warehouse)
    wh.ensure_build(build)  # a publish moved it to the published path
    common = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR)]
    # DuckDB's build in a child process: no DuckDB database stays open in this one
    started = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "build", "--full-refresh", *common, "--target-path",
         str(work / "duck_target"), "--log-path", str(work / "duck_logs")],
        env={**os.environ, "ROLLCALL_WAREHOUSE": str(warehouse), "ROLLCALL_BUILD_DB": str(build)},
        check=True, capture_output=True,
    )  # fmt: skip
    duck = time.perf_counter() - started

    spark_dir = work / "spark"
    shutil.rmtree(spark_dir, ignore_errors=True)
    conf = _spark_conf(spark_dir)
    # real data, not the fixture's handful of rows: Spark's defaults for the plan
    conf.update({"spark.sql.shuffle.partitions": "4", "spark.sql.codegen.wholeStage": "true",
                 "spark.sql.adaptive.enabled": "true", "spark.driver.memory": "4g"})  # fmt: skip
    builder = SparkSession.builder.master("local[2]").appName("rollcall-bench")
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.enableHiveSupport().getOrCreate()
    started = time.perf_counter()
    _register_raw(spark, build, spark_dir / "parquet")
    register = time.perf_counter() - started
    on_spark = _dbt(
        ["build", "--target", "spark", *common, "--target-path", str(work / "spark_target"), "--log-path",
         str(work / "spark_logs")],
        {"ROLLCALL_SPARK_DIR": str(spark_dir)},
    )  # fmt: skip
    marts = ["people", "campaign_touchpoints", "person_campaign_funnel", "ladder", "weekly_activity"]
    import duckdb

    with duckdb.connect(str(build), read_only=True) as con:
        duck_rows = {m: con.execute(f"select count(*) from marts.{m}").fetchone()[0] for m in marts}
    spark_rows = {m: spark.sql(f"select count(*) from marts.{m}").collect()[0][0] for m in marts}
    print(
        json.dumps(
            {
                "people": args.people,
                "duckdb_build_s": round(duck, 1),
                "spark_register_raw_s": round(register, 1),
                "spark_build_s": round(on_spark, 1),
                "rows_duckdb": duck_rows,
                "rows_spark": spark_rows,
                "same_row_counts": duck_rows == spark_rows,
                "work": str(work),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
