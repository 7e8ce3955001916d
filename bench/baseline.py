"""Run bench/baseline.sql stage by stage on a landing folder; print stage timings as JSON.

The baseline is what a careful analyst would write by hand in one DuckDB
script: no validation, quarantine, idempotence, lineage or tests.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from pipelines.lib.campaigns import parse_registry


def campaigns_json(landing: Path, out: Path) -> None:
    campaigns, numbers, pages = parse_registry(landing / "campaigns.yml")
    rows = [
        {
            "id": c["campaign_id"],
            "email_campaign_id": c["email_campaign_id"],
            "sms_from": c["sms_from_e164"],
            "sms_start": c["sms_sent_from"].isoformat() if c["sms_sent_from"] else None,
            "sms_end": c["sms_sent_until"].isoformat() if c["sms_sent_until"] else None,
            "min_call_seconds": c["min_call_seconds"],
            "call_numbers": [n["number_e164"] for n in numbers if n["campaign_id"] == c["campaign_id"]],
            "action_pages": [p["page_id"] for p in pages if p["campaign_id"] == c["campaign_id"]],
        }
        for c in campaigns
    ]
    out.write_text(json.dumps(rows))


def main(landing: Path, database: Path) -> dict[str, float]:
    scratch = Path(tempfile.mkdtemp())
    campaigns = scratch / "campaigns.json"
    campaigns_json(landing, campaigns)
    script = (Path(__file__).parent / "baseline.sql").read_text()
    script = script.replace("{landing}", str(landing)).replace("{campaigns_json}", str(campaigns))
    stages: dict[str, float] = {}
    con = duckdb.connect(str(database))
    for chunk in script.split("-- stage: ")[1:]:
        name, body = chunk.split("\n", 1)
        started = time.perf_counter()
        if name.strip() == "load":
            # each table's own time too, to set beside the ingest of its source
            for table in re.split(r"(?m)^create table ", body)[1:]:
                began = time.perf_counter()
                con.execute("create table " + table)
                stages[f"load {table.split()[0]}"] = round(time.perf_counter() - began, 2)
        else:
            con.execute(body)
        stages[name.strip()] = round(time.perf_counter() - started, 2)
    stages["rows in funnel"] = con.sql("select count(*) from funnel").fetchall()[0][0]
    con.close()
    return stages


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())))
