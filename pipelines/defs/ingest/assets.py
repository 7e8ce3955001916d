"""Ingest assets: one per landing source, each a thin wrapper over `pipelines.lib.ingest`.

Every asset that writes the warehouse runs in the `warehouse` pool (limit 1),
because DuckDB has one writer at a time.
"""

from pathlib import Path

import dagster as dg

from pipelines.defs.resources import Landing, Warehouse
from pipelines.lib import ingest

POOL = "warehouse"

# source → (what lands, raw tables it loads)
SOURCES = {
    "people": ("Action Network activist export, CSV", ["people"]),
    "sendgrid": ("SendGrid Event Webhook posts, JSON arrays or NDJSON", ["sendgrid_events"]),
    "twilio_messages": ("Twilio message logs, CSV (console or REST headers)", ["twilio_messages"]),
    "twilio_calls": ("Twilio call logs, CSV (console or REST headers)", ["twilio_calls"]),
    "actionnetwork_actions": (
        "Action Network actions: API page bodies (JSON), or NDJSON records in a folder per kind",
        ["actionnetwork_actions", "actionnetwork_action_targets"],
    ),
    "campaigns": (
        "campaigns.yml, the strategists' campaign registry",
        ["campaigns", "campaign_call_numbers", "campaign_actions"],
    ),
}

landed = [
    dg.AssetSpec(
        key=["landing", source],
        description=f"{what}, under the landing folder.",
        group_name="landing",
        kinds={"yaml" if source == "campaigns" else "file"},
    )
    for source, (what, _) in SOURCES.items()
]


def _upstream(source: str) -> list[list[str]]:
    # People pulled from the Action Network API (pipelines/defs/segments) land
    # in raw.people too, before the models read it.
    if source == "people":
        return [["landing", source], ["actionnetwork", "people"]]
    return [["landing", source]]


def _ingest_asset(source: str, what: str, tables: list[str]) -> dg.AssetsDefinition:
    keys = [dg.AssetKey(["raw", t]) for t in tables]

    @dg.multi_asset(
        name=f"ingest_{source}",
        specs=[
            dg.AssetSpec(
                key,
                deps=_upstream(source),
                group_name="raw",
                kinds={"duckdb"},
                description=f"Loaded from {what}.",
            )
            for key in keys
        ],
        check_specs=[
            dg.AssetCheckSpec(
                "no_rejected_rows",
                asset=keys[0],
                description="Rows of this source that could not be read (raw.rejected_rows).",
            )
        ],
        pool=POOL,
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: Warehouse, landing: Landing):
        with warehouse.connect_raw() as con:
            result = ingest.load_source(con, Path(landing.path), source)
            rejected = con.execute(
                "select reason, count(*) from raw.rejected_rows where source = ? group by 1 order by 2 desc",
                [source],
            ).fetchall()
        context.log.info(f"{source}: {result}")
        for key in keys:
            yield dg.MaterializeResult(asset_key=key, metadata=result.metadata())
        total = sum(n for _, n in rejected)
        yield dg.AssetCheckResult(
            asset_key=keys[0],
            check_name="no_rejected_rows",
            passed=total == 0,
            severity=dg.AssetCheckSeverity.WARN,
            metadata={"rejected_rows": total, **{reason[:60]: n for reason, n in rejected[:10]}},
        )

    return _asset


ingest_assets = [_ingest_asset(s, what, tables) for s, (what, tables) in SOURCES.items()]
