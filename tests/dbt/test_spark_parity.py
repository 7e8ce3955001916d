"""The same dbt project on Spark (dbt-spark, session method) equals DuckDB's build, row for row.

The hand-made raw fixture (make_raw_fixture.py) is built on DuckDB as the other
dbt tests do; its raw tables (and the empty segment tables) are then written
as Parquet and registered as Spark tables in schemas `raw` and `segments`, the
way a deployment at scale would register what ingest writes (docs/spark.md).
`dbt build --target spark` runs in this process on a local Spark with plain
Parquet tables; then a later day lands (new events, a new person who matches
an earlier unmatched address) and both engines build again, DuckDB
incrementally. After each build every relation of staging, intermediate, marts
and segments must hold the same rows on both engines. The person key is an
engine-specific hash (hash() on DuckDB, xxhash64 on Spark): it is compared as
the person_id it stands for.

A model using a DuckDB-only function inline (list_value, epoch_ms, ...) fails
the Spark build, and so this test (docs/spark.md, "Portability").
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from dbt.cli.main import dbtRunner

from tests.dbt.conftest import PROJECT_DIR, raw_fixture

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime")

SCHEMAS = ("staging", "intermediate", "marts", "segments")
# Bookkeeping written with the run's start time: not a model.
SKIP = {"dbt_build_log", "ladder_first_days"}


def _spark_conf(spark_dir: Path) -> dict[str, str]:
    # The settings of the `spark` target of profiles.yml, but Spark's in-memory
    # catalog instead of a Derby metastore (dbt runs in this process, on this
    # session): a metastore round trip per relation costs more than the fixture.
    return {
        "spark.sql.catalogImplementation": "in-memory",
        "spark.sql.warehouse.dir": str(spark_dir / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={spark_dir / 'metastore_db'};create=true"
        ),
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.parquet.inferTimestampNTZ.enabled": "false",
        "spark.sql.shuffle.partitions": "1",
        # tiny tables: compiling generated code costs more than interpreting
        "spark.sql.codegen.wholeStage": "false",
        "spark.sql.adaptive.enabled": "false",
        "spark.ui.enabled": "false",
        "spark.driver.memory": "2g",
        "spark.sql.ansi.enabled": "false",
    }


def _register_raw(spark, warehouse: Path, parquet: Path) -> None:
    """Write raw.* and segments.* of the DuckDB fixture as Parquet, registered as Spark tables."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"attach if not exists '{warehouse}.raw' as raw")
        tables = con.execute(
            "select table_catalog, table_schema, table_name from information_schema.tables "
            "where (table_catalog = 'raw' and table_schema = 'main') "
            "or (table_schema = 'segments' and table_name not in ("
            "  select name from (select unnest(?) as name)))",
            [_dbt_models(con)],
        ).fetchall()
        for catalog, schema, name in tables:
            spark_schema = "raw" if catalog == "raw" else "segments"
            out = parquet / spark_schema / name
            if out.exists():
                shutil.rmtree(out)
            out.mkdir(parents=True)
            part = out / "part-0.parquet"
            con.execute(f"copy (select * from {catalog}.{schema}.{name}) to '{part}' (format parquet)")
            spark.sql(f"create database if not exists {spark_schema}")
            spark.sql(f"create table if not exists {spark_schema}.{name} using parquet location '{out}'")
            spark.sql(f"refresh table {spark_schema}.{name}")
    finally:
        con.close()


def _dbt_models(con=None) -> list[str]:
    """The segments relations dbt builds (the rest of schema segments is written by Python)."""
    return [p.stem for p in (PROJECT_DIR / "models" / "segments").glob("*.sql")]


def _spark_build(
    tmp: Path, spark_dir: Path, *args: str, command: str = "build", project: Path = PROJECT_DIR
) -> None:
    res = _spark_dbt(tmp, spark_dir, *args, command=command, project=project)
    failed = [
        f"{r.node.name}: {(r.message or '').splitlines()[0] if r.message else r.status}"
        for r in (res.result or [])
        if str(r.status) in ("error", "fail", "runtime error", "skipped")
    ]
    assert res.success and not failed, f"dbt {command} on Spark failed: {res.exception or failed}"


def _spark_dbt(tmp: Path, spark_dir: Path, *args: str, command: str, project: Path):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ROLLCALL_SPARK_DIR", str(spark_dir))
        return dbtRunner().invoke(
            [
                command,
                "--target",
                "spark",
                *args,
                "--project-dir",
                str(project),
                "--profiles-dir",
                str(PROJECT_DIR),
                "--target-path",
                str(tmp / "spark_target"),
                "--log-path",
                str(tmp / "spark_logs"),
            ]
        )


def _norm(value):
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, Decimal):
        return round(float(value), 9)
    if isinstance(value, list | tuple):
        return tuple(_norm(v) for v in value)
    return value


def _duck_relations(warehouse: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"attach if not exists '{warehouse}.raw' as raw")
        keys = dict(con.execute("select person_key, person_id from marts.people").fetchall())
        names = con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_catalog = current_database() and table_schema in {SCHEMAS!r}"
        ).fetchall()
        out = {}
        for schema, name in names:
            if name in SKIP:
                continue
            cur = con.execute(f"select * from {schema}.{name}")
            cols = [d[0].lower() for d in cur.description]
            out[f"{schema}.{name}"] = (cols, _rows(cols, cur.fetchall(), keys))
        return out
    finally:
        con.close()


def _spark_relation(spark, relation: str) -> tuple[list[str], list[tuple]]:
    keys = {r[0]: r[1] for r in spark.sql("select person_key, person_id from marts.people").collect()}
    df = spark.sql(f"select * from {relation}")
    cols = [f.name.lower() for f in df.schema.fields]
    ltz = [f.dataType.typeName() == "timestamp" for f in df.schema.fields]
    rows = [
        tuple(
            # pyspark hands out session-UTC timestamps in the process's local time
            v.astimezone(None).astimezone(UTC).replace(tzinfo=None) if is_ts and v is not None else v
            for v, is_ts in zip(row, ltz, strict=True)
        )
        for row in df.collect()
    ]
    return cols, _rows(cols, rows, keys)


def _rows(cols: list[str], rows, keys: dict) -> list[tuple]:
    at = [i for i, c in enumerate(cols) if c == "person_key"]
    out = []
    for row in rows:
        values = [_norm(v) for v in row]
        for i in at:
            values[i] = ("person", keys.get(values[i], values[i]))
        out.append(tuple(values))
    return sorted(out, key=repr)


def _assert_same(duck: Path, spark) -> None:
    expected = _duck_relations(duck)
    assert len(expected) > 30, sorted(expected)
    spark_tables = {
        f"{schema}.{r.tableName}"
        for schema in SCHEMAS
        for r in spark.sql(f"show tables in {schema}").collect()
        if r.tableName not in SKIP and not r.isTemporary
    }
    # every model of DuckDB exists on Spark (segments also holds Python's tables, registered from raw)
    assert set(expected) <= spark_tables, sorted(set(expected) - spark_tables)
    differ = []
    for relation, (cols, rows) in sorted(expected.items()):
        got_cols, got_rows = _spark_relation(spark, relation)
        if got_cols != cols or got_rows != rows:
            differ.append((relation, cols, got_cols, rows, got_rows))
    assert not differ, "\n\n".join(
        f"{rel}\n duckdb {cols}\n spark  {got_cols}\n duckdb {rows[:5]} ({len(rows)})"
        f"\n spark  {got_rows[:5]} ({len(got_rows)})"
        for rel, cols, got_cols, rows, got_rows in differ
    )


def _land_day_two(warehouse: Path) -> None:
    """A later day: a new person whose address had an unmatched event, new email and text events.

    Landed now, after the first build started (as ingest stamps a load): a
    daily build takes the people loaded since the last build started, so a
    day two stamped before that build would be history it had already read.
    """
    day_two = datetime.now(UTC).replace(tzinfo=None)
    con = duckdb.connect(str(warehouse))
    try:
        con.execute(f"attach if not exists '{warehouse}.raw' as raw")
        unmatched = con.execute(
            "select email_norm from raw.sendgrid_events "
            "where email_norm not in (select email_norm from raw.people where email_norm is not null) "
            "order by email_norm limit 1"
        ).fetchone()[0]
        cols = [r[0] for r in con.execute("describe raw.people").fetchall()]
        values = {c: None for c in cols}
        values.update(
            person_id="p900",
            first_name="Late",
            last_name="Comer",
            email=unmatched,
            email_norm=unmatched,
            zip_code="10001",
            country="US",
            subscription_status="subscribed",
            affiliate="Local 1",
            _source_file="people-day2.csv",
            _loaded_at=day_two,
        )
        con.execute(
            f"insert into raw.people ({', '.join(cols)}) values ({', '.join('?' for _ in cols)})",
            list(values.values()),
        )
        # every email event of the fixture again, new ids, a day later (a new send of the same campaign)
        con.execute(
            "insert into raw.sendgrid_events "
            "select sg_event_id || '-d2', event, email_norm, email_as_logged, event_at + interval 1 day, "
            "campaign_id, machine_open, bounce_type, asm_group_id, 'sendgrid/day2.json', ?, "
            "cast(md5_number(sg_event_id || '-d2') >> 65 as bigint) "
            "from raw.sendgrid_events where _loaded_at < ?",
            [day_two, day_two],
        )
        # the texts again, a day later; and one copy of a held sid landed again (counted once)
        con.execute(
            "insert into raw.twilio_messages by name "
            "select * replace (sid || 'd2' as sid, sent_at + interval 1 day as sent_at, "
            "'messages-day2.csv' as _source_file, ? as _loaded_at) "
            "from raw.twilio_messages where _loaded_at < ?",
            [day_two, day_two],
        )
        con.execute(
            "insert into raw.twilio_messages by name "
            "select * replace ('messages-day2.csv' as _source_file, ? as _loaded_at) "
            "from raw.twilio_messages where _loaded_at < ? order by sid limit 1",
            [day_two, day_two],
        )
        con.execute(
            "insert into raw.loaded_files values ('people', 'people-day2.csv', 'def456', 1, 0, ?)",
            [day_two],
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory, dbt):
    from pyspark.sql import SparkSession

    tmp = tmp_path_factory.mktemp("spark_parity")
    spark_dir = tmp / "spark"
    spark_dir.mkdir()
    duck = raw_fixture().build(tmp / "duck" / "warehouse.duckdb")
    dbt(duck)

    builder = SparkSession.builder.master("local[2]").appName("rollcall-parity")
    for key, value in _spark_conf(spark_dir).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    try:
        _register_raw(spark, duck, tmp / "parquet")
        _spark_build(tmp, spark_dir)
        yield duck, spark, tmp, spark_dir
    finally:
        spark.stop()


def test_a_full_build_on_spark_equals_duckdb(engines) -> None:
    duck, spark, _, _ = engines
    _assert_same(duck, spark)


def test_a_duckdb_only_function_in_a_model_fails_the_spark_build(engines) -> None:
    """The guard itself: an inline DuckDB-only function (not a dispatched macro) breaks Spark."""
    _, _, tmp, spark_dir = engines
    project = tmp / "unportable_project"
    shutil.copytree(PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    model = project / "models" / "marts" / "people.sql"
    sql = model.read_text()
    assert "\nselect\n    person_id," in sql
    probe = "\nselect\n    epoch_ms(0) as probe,\n    person_id,"
    model.write_text(sql.replace("\nselect\n    person_id,", probe))
    res = _spark_dbt(tmp, spark_dir, "--select", "people", command="run", project=project)
    assert not res.success
    models = [r for r in res.result if getattr(r.node, "resource_type", "") == "model"]
    statuses = {r.node.name: str(r.status) for r in models}
    assert statuses == {"people": "error"}, statuses
    assert "epoch_ms" in (models[0].message or ""), models[0].message


def test_a_daily_build_on_spark_equals_duckdb(engines, dbt) -> None:
    duck, spark, tmp, spark_dir = engines
    _land_day_two(duck)
    dbt(duck)  # DuckDB: incremental
    _register_raw(spark, duck, tmp / "parquet")
    # The models only: the full build ran every data and unit test on Spark already.
    _spark_build(tmp, spark_dir, command="run")
    _assert_same(duck, spark)
