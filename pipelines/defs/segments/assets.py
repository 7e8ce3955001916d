"""Saved segments as assets: membership built from the marts, exports, and the measured lift.

Lineage, with no cycle: dbt marts → `segments/membership` (Python, the cohort
engine) → exports and the Action Network push → dbt `models/segments`
(segment_outcomes, segment_lift) → `published_warehouse`. Each segment of
segments.yml is its own asset (`segment/<id>`), materialised by the one
build step that diffs every segment's membership in one transaction.
"""

from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.defs.resources import Landing, Warehouse
from pipelines.defs.transform.assets import Translator
from pipelines.defs.transform.project import after_dbt_step, rollcall_project
from pipelines.lib import segments as seg
from pipelines.lib import warehouse as wh
from pipelines.lib.runstate import models_sha256

POOL = "warehouse"
GROUP = "segments"
MARTS_READ = [
    ["marts", "people"],
    ["marts", "campaigns"],
    ["marts", "person_campaign_funnel"],
    ["marts", "campaign_touchpoints"],
    ["marts", "reachability"],
]
TABLES = {
    "definitions": "One row per segment of segments.yml, with its outcome (replaced on each build).",
    "membership": (
        "Membership history: a row per stay of a person in a segment (valid_from, valid_to; null = in it "
        "now) in their arm; with segments.assignments (arm per person, assigned once) and segments.builds."
    ),
}


def _configured(landing: Path) -> list[seg.Segment]:
    """The segments of segments.yml at load time; a broken file fails the build step, not the load."""
    try:
        return seg.load(seg.segments_path(landing))
    except seg.SegmentError:
        return []


def _build_asset(configured: list[seg.Segment]) -> dg.AssetsDefinition:
    table_keys = {name: dg.AssetKey(["segments", name]) for name in TABLES}
    segment_keys = {s.id: dg.AssetKey(["segment", s.id]) for s in configured}

    @dg.multi_asset(
        name="build_segments",
        specs=[
            *(
                dg.AssetSpec(key, deps=MARTS_READ, group_name=GROUP, kinds={"duckdb"}, description=TABLES[n])
                for n, key in table_keys.items()
            ),
            *(
                dg.AssetSpec(
                    segment_keys[s.id],
                    deps=MARTS_READ,
                    group_name=GROUP,
                    kinds={"duckdb"},
                    description=f"{s.name_en} / {s.name_fr} — {s.channel}, {s.holdout}% held out.",
                    metadata={"cohort": str(s.cohort.describe()), "tag": s.tag},
                )
                for s in configured
            ),
        ],
        pool=POOL,
    )
    def build_segments(context: dg.AssetExecutionContext, warehouse: Warehouse, landing: Landing):
        # Read again at run time: the file is the strategists' and may have changed.
        segments = seg.load(seg.segments_path(Path(landing.path)))
        with warehouse.connect() as con:
            results = {r.segment_id: r for r in seg.build(con, segments)}
        for result in results.values():
            context.log.info(f"segment {result.segment_id}: {result.metadata()}")
        totals = {
            "segments": len(results),
            "entered": sum(r.entered for r in results.values()),
            "exited": sum(r.exited for r in results.values()),
        }
        for key in table_keys.values():
            yield dg.MaterializeResult(asset_key=key, metadata=totals)
        for sid, key in segment_keys.items():
            found = results.get(sid)
            yield dg.MaterializeResult(
                asset_key=key, metadata=found.metadata() if found else {"removed_from_segments_yml": True}
            )

    return build_segments


@dg.asset(
    key=["segments", "exports"],
    deps=[["segments", "membership"]],
    group_name=GROUP,
    kinds={"csv", "parquet"},
    pool=POOL,
    description="Per segment, <exports>/<id>.csv (Action Network upload shape) and .parquet, atomically.",
)
def segment_exports(
    context: dg.AssetExecutionContext, warehouse: Warehouse, landing: Landing
) -> dg.MaterializeResult:
    segments = seg.load(seg.segments_path(Path(landing.path)))
    out = seg.exports_path(warehouse.published)
    metadata: dict = {"folder": str(out)}
    with warehouse.connect() as con:
        for segment in segments:
            if not {"csv", "parquet"} & set(segment.destinations):
                continue
            result = seg.export(con, segment, out)
            metadata[segment.id] = result.rows
            files = ", ".join(map(str, result.files))
            context.log.info(f"segment {segment.id}: {result.rows} rows → {files}")
    return dg.MaterializeResult(metadata=metadata)


@dbt_assets(
    manifest=rollcall_project.manifest_path,
    project=rollcall_project,
    dagster_dbt_translator=Translator(),
    select="path:models/segments",
    name="rollcall_dbt_segments",
    pool=POOL,
)
def segment_lift_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    models = models_sha256()
    with warehouse.connect() as con:
        seg.ensure_schema(con)
        current = seg.measured_current(con, models)
    if current:
        # No saved segment: the tables are empty, as these models built them.
        # Starting dbt for that costs ~10 s a run.
        context.log.info("no saved segment: segment_outcomes and segment_lift stay empty, dbt not started")
        # In the models' order (segment_lift reads segment_outcomes): Dagster checks it.
        # Their dbt tests (unique, not null, accepted values) hold on an empty table.
        for key in sorted(context.selected_asset_keys, key=lambda k: seg.MEASURED.index(k.path[-1])):
            yield dg.MaterializeResult(asset_key=key, metadata={"rebuilt": False, "segments": 0})
            for check in sorted(context.selected_asset_check_keys, key=str):
                if check.asset_key == key:
                    yield dg.AssetCheckResult(
                        asset_key=key, check_name=check.name, passed=True, metadata={"rows": 0}
                    )
        return
    invocation = dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context)
    yield from invocation.stream()
    after_dbt_step(invocation)
    with warehouse.connect() as con:
        seg.record_measured(con, models)


# What `rollcall segments build` runs: rebuild segments on the current marts,
# export them, measure them, publish (no push).
segments_build = dg.define_asset_job(
    "segments_build",
    selection=dg.AssetSelection.groups(GROUP) | dg.AssetSelection.assets(["published_warehouse"]),
)
# Re-export on a schedule: the same, plus the push of tags to Action Network.
segments_refresh = dg.define_asset_job(
    "segments_refresh",
    selection=dg.AssetSelection.groups(GROUP)
    | dg.AssetSelection.assets(["actionnetwork", "segment_tags"], ["published_warehouse"]),
)
segments_every_six_hours = dg.ScheduleDefinition(job=segments_refresh, cron_schedule="0 */6 * * *")


@dg.definitions
def segment_definitions() -> dg.Definitions:
    """The build asset's specs follow segments.yml, read each time the definitions load."""
    return dg.Definitions(
        assets=[_build_asset(_configured(wh.landing_path())), segment_exports, segment_lift_models],
        jobs=[segments_build, segments_refresh],
        schedules=[segments_every_six_hours],
    )
