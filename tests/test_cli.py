"""The `rollcall` command line, run as a person runs it, against the fixture warehouse."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

ROLLCALL = [sys.executable, "-m", "pipelines.cli"]
OPENED_NOT_CALLED_7 = ["--campaign", "pro-act", "--did", "opened", "--did-not", "called", "--within", "7"]


def rollcall(*args: str, warehouse: Path | None = None) -> subprocess.CompletedProcess:
    extra = ["--warehouse", str(warehouse)] if warehouse and args[0] == "cohort" else []
    return subprocess.run([*ROLLCALL, *args, *extra], capture_output=True, text=True, timeout=120)


def test_count_prints_only_the_number(warehouse):
    done = rollcall("cohort", *OPENED_NOT_CALLED_7, "--count", warehouse=warehouse)
    assert (done.returncode, done.stdout) == (0, "4\n")


def test_csv_rows_carry_the_cohort_columns(warehouse):
    done = rollcall("cohort", *OPENED_NOT_CALLED_7, warehouse=warehouse)
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert list(rows[0]) == [
        "person_id",
        "first_name",
        "last_name",
        "email",
        "phone",
        "zip_code",
        "province_or_state",
        "affiliate",
        "language",
    ]
    assert [r["person_id"] for r in rows] == ["p-chloe", "p-dana", "p-fay", "p-hana"]
    chloe = rows[0]
    assert (chloe["phone"], chloe["province_or_state"], chloe["language"]) == ("+15145550103", "QC", "fr")


def test_parquet_and_json_outputs(warehouse, tmp_path):
    out = tmp_path / "cohort.parquet"
    done = rollcall(
        "cohort", *OPENED_NOT_CALLED_7, "--format", "parquet", "--out", str(out), warehouse=warehouse
    )
    assert done.returncode == 0, done.stderr
    assert pq.read_table(out).column("person_id").to_pylist() == ["p-chloe", "p-dana", "p-fay", "p-hana"]
    done = rollcall("cohort", *OPENED_NOT_CALLED_7, "--format", "json", "--state", "OH", warehouse=warehouse)
    assert [r["first_name"] for r in json.loads(done.stdout)] == ["Hana"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--campaign", "pro-act", "--did", "opened", "--within", "7"], "--within needs --did-not"),
        (["--campaign", "pro-act", "--did", "jumped"], "invalid choice: 'jumped'"),
        (
            ["--campaign", "pro-act", "--did", "opened", "--did-not", "called", "--within", "soon"],
            "whole number",
        ),
        (["--campaign", "nope", "--did", "opened"], "unknown campaign 'nope'"),
        (["--campaign", "pro-act", "--did", "opened", "--province", "Ontario"], "two-letter code"),
        (["--campaign", "pro-act", "--did", "opened", "--format", "parquet"], "needs --out"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(warehouse, args, message):
    done = rollcall("cohort", *args, warehouse=warehouse)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "evil", ["' OR 1=1 --", "x'; drop table marts.people; --", "%", "Ohio AFL-CIO' or '1'='1"]
)
def test_filter_values_are_bound_not_spliced(warehouse, evil):
    for flag in ("--affiliate", "--district"):
        done = rollcall(
            "cohort", "--campaign", "pro-act", "--did", "opened", flag, evil, "--count", warehouse=warehouse
        )
        assert (done.returncode, done.stdout) == (0, "0\n")
    done = rollcall("cohort", "--campaign", "pro-act", "--did", "opened", "--count", warehouse=warehouse)
    assert done.stdout == "6\n"  # and nothing was dropped


def test_run_on_a_missing_landing_folder_says_so(tmp_path):
    done = rollcall("run", "--landing", str(tmp_path / "nowhere"), "--warehouse", str(tmp_path / "w.duckdb"))
    assert done.returncode == 1
    assert "no landing folder" in done.stderr
