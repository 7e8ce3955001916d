"""dbt models as Dagster assets, and the publish step that makes them readable."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.defs.resources import Warehouse
from pipelines.defs.transform.project import rollcall_project
from pipelines.lib import warehouse as wh

POOL = "warehouse"


class Translator(DagsterDbtTranslator):
    """Models are keyed and grouped by their folder (staging, intermediate, marts)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey([dbt_resource_props["fqn"][1], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            return dbt_resource_props["fqn"][1]
        return super().get_group_name(dbt_resource_props)


@dbt_assets(
    manifest=rollcall_project.manifest_path,
    project=rollcall_project,
    dagster_dbt_translator=Translator(),
    # models/segments read the Python segment tables: built by their own
    # dbt asset in pipelines/defs/segments, after those.
    exclude="path:models/segments",
    pool=POOL,
)
def rollcall_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    # Unit tests pin logic in the test suite; a production build runs the
    # models and their data tests.
    yield from dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context).stream()


MARTS = [key for key in rollcall_dbt_models.keys if key.path[0] == "marts"]


@dg.asset(
    key=["published_warehouse"],
    # The marts, and the saved segments with their measured lift
    # (pipelines/defs/segments, dbt_project/models/segments).
    deps=[
        *MARTS,
        ["segments", "definitions"],
        ["segments", "membership"],
        ["segments", "segment_outcomes"],
        ["segments", "segment_lift"],
    ],
    group_name="published",
    kinds={"duckdb"},
    pool=POOL,
    description="A read-only copy of the warehouse, swapped in atomically for the CLI and dashboards.",
)
def published_warehouse(warehouse: Warehouse) -> dg.MaterializeResult:
    wh.publish(warehouse.build, warehouse.published)
    return dg.MaterializeResult(metadata={"path": str(warehouse.published)})


@dg.asset_check(asset=dg.AssetKey(["marts", "touchpoints"]), blocking=False)
def unmatched_touchpoints(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Events whose email or phone matches no person: kept, counted here."""
    with warehouse.connect() as con:
        rows = con.sql(
            "select channel, count(*) from marts.touchpoints where person_id is null group by 1"
        ).fetchall()
    total = sum(n for _, n in rows)
    return dg.AssetCheckResult(
        passed=total == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"unmatched": total, **{f"unmatched_{c}": n for c, n in rows}},
    )


everything = dg.define_asset_job("everything", selection=dg.AssetSelection.all())
daily = dg.ScheduleDefinition(job=everything, cron_schedule="0 6 * * *")
