"""dbt models as Dagster assets, and the publish step that makes them readable."""

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipelines.defs.ingest import assets as ingest_assets
from pipelines.defs.resources import Landing, Warehouse
from pipelines.defs.transform.project import after_dbt_step, rollcall_project
from pipelines.lib import runstate
from pipelines.lib import warehouse as wh
from pipelines.lib.runstate import models_sha256
from pipelines.lib.segments import segments_path

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
def rollcall_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    # Unit tests pin logic in the test suite; a production build runs the
    # models and their data tests.
    models = models_sha256()
    # For the build log (macros/incremental.sql). Not a --vars: dbt re-parses
    # the whole project (~4 s) whenever its vars change.
    os.environ["ROLLCALL_MODELS_SHA256"] = models
    args = ["build", "--exclude-resource-type", "unit_test"]
    # Incremental builds: the event models absorb new events and new people;
    # anything else rebuilds from scratch (see full_refresh_reason).
    with warehouse.connect() as con:
        reason = full_refresh_reason(con, models)
        if reason:
            unchanged, tests_left, manifest = [], [], {}
        else:
            manifest = json.loads(Path(rollcall_project.manifest_path).read_text())
            changed = changed_since_last_build(con, manifest)
            unchanged = unchanged_models(manifest, changed)
            tests_left = unchanged_source_tests(manifest, changed)
    if reason:
        context.log.info(f"dbt full refresh: {reason}")
        # Two models at a time, not the profile's four: every model of a full build is
        # big, and more at once only share DuckDB's one memory ceiling and spill past it
        # (at 5M people unmatched_identifiers took 94 s beside three others, 21 s beside
        # one; at 1M, two and four threads build in the same time). A daily build's
        # models are small: there four keep both cores busy through dbt's own Python.
        args += ["--full-refresh", "--threads", "2"]
    if unchanged or tests_left:
        # The models' tests go with them (dbt's indirect selection).
        # One value, names apart by spaces: how dagster-dbt reads an --exclude it merges with its own.
        args += ["--exclude", " ".join(manifest["nodes"][uid]["name"] for uid in unchanged + tests_left)]
        context.log.info(
            f"dbt leaves {len(unchanged)} models and {len(tests_left)} source tests as they are: "
            "none of their sources changed"
        )
    # As an earlier build left them, and still right: the assets after them (the publish) run on.
    # First, parents before children (Dagster's rule): no model dbt builds now is a parent of one.
    translator = Translator()
    left = [translator.get_asset_key(manifest["nodes"][uid]) for uid in unchanged]
    for key in left:
        if key in context.selected_asset_keys:
            yield dg.Output(
                None,
                output_name=context.assets_def.get_output_name_for_asset_key(key),
                metadata={"unchanged": "none of its sources changed since the last build"},
            )
    if context.selected_asset_keys <= set(left):
        # Only files nothing reads changed (a file touched, a segments.yml edited): dbt would
        # start (~4 s) to build nothing.
        context.log.info("dbt not started: every model is as the last build left it")
        return
    invocation = dbt.cli(args, context=context)
    yield from invocation.stream()
    after_dbt_step(invocation)


# --- Incremental builds (docs/contract.md) ---------------------------------
# The event-grain models rebuild only what landed since the last completed
# build (dbt_project/macros/incremental.sql). They cannot absorb a new
# campaigns.yml (attribution of all history changes) or a person change that
# takes an already-matched event away from its person (an email or phone
# changed, or a new person with a smaller id sharing it): then dbt runs
# with --full-refresh, so an incremental build always equals a full one.
_PEOPLE_STEALING_MATCHES = """
    with changed as (
        select person_key, email_norm, phone_e164
        from staging.stg_action_network__people where loaded_at > ?  -- since the last completed build
    ),
    -- the identity the build is about to use (the view int_person_identity_now,
    -- the one rule over the people landed now), against the one the stored
    -- events matched last time (touchpoints, through int_person_emails / phones)
    now as (select kind, identifier, person_key from intermediate.int_person_identity_now),
    matched as (
        -- events matched through an email or phone (an action names its person directly)
        select t.channel, t.identifier, t.person_key from marts.touchpoints t
        where t.person_key is not null and t.channel in ('email', 'sms', 'call') and (
            t.person_key in (select person_key from changed)
            or t.identifier in (select email_norm from changed where email_norm is not null)
            or t.identifier in (select phone_e164 from changed where phone_e164 is not null)
        )
    )
    select count(*) from matched m
    left join now n
        on n.kind = case when m.channel = 'email' then 'email' else 'phone' end
        and m.identifier = n.identifier
    where m.person_key is distinct from n.person_key
"""


def _last_build(con) -> tuple | None:
    """The last completed build's (campaigns_sha256, built_at, models_sha256), from the build log
    (dbt_project/macros/incremental.sql, record_build, its one writer), or None."""
    # A log from before models_sha256 was kept counts as no log.
    has_log = con.execute(
        "select count(*) from information_schema.columns where table_schema = 'intermediate' "
        "and table_name = 'dbt_build_log' and column_name = 'models_sha256'"
    ).fetchone()[0]
    if not has_log:
        return None
    return con.execute(
        "select campaigns_sha256, built_at, models_sha256 from intermediate.dbt_build_log "
        "order by built_at desc limit 1"
    ).fetchone()


def full_refresh_reason(con, models: str | None = None) -> str | None:
    """Why dbt must rebuild every model from scratch, or None when an incremental build is exact."""
    last = _last_build(con)
    if last is None:
        return "no completed build to add to"
    campaigns = con.execute(
        "select sha256 from raw.loaded_files where source = 'campaigns' "
        "order by loaded_at desc, sha256 desc limit 1"
    ).fetchone()
    if (campaigns[0] if campaigns else None) != last[0]:
        return "campaigns.yml changed"
    if models is not None and models != last[2]:
        return "the dbt models changed"
    # Only people loaded since can take matches away (a scan of every event: skipped when none were).
    people_since = con.execute(
        "select count(*) from staging.stg_action_network__people where loaded_at > ?", [last[1]]
    ).fetchone()[0]
    if people_since and con.execute(_PEOPLE_STEALING_MATCHES, [last[1]]).fetchone()[0]:
        return "a person's email or phone changed under already-matched events"
    return None


def changed_sources(con, manifest: dict, since) -> list[str]:
    """The dbt sources (unique ids) with a row loaded after `since`.

    Every raw table of events or people stamps its rows when they load (`_loaded_at`;
    `loaded_at` for the ingest's own ledgers), and a replaced row (a person exported
    again) is a new row: a table with no row newer than `since` is as the last build
    read it. The campaign tables, replaced whole, have no stamp of their own: the
    ledger's row for the campaigns.yml they came from (`raw.loaded_files`) is theirs.
    A table with neither counts as changed.
    """
    stamps = dict(
        con.execute(
            "select table_name, max(column_name) from information_schema.columns "
            "where table_catalog = 'raw' and column_name in ('_loaded_at', 'loaded_at') group by 1"
        ).fetchall()
    )
    ledger = {table: source for source, (_, tables) in ingest_assets.SOURCES.items() for table in tables}
    changed = []
    for uid, source in manifest["sources"].items():
        table = source["identifier"]
        if table in stamps:
            query = f'select exists (select 1 from raw."{table}" where "{stamps[table]}" > ?)'
            args = [since]
        elif table in ledger:
            query = "select exists (select 1 from raw.loaded_files where source = ? and loaded_at > ?)"
            args = [ledger[table], since]
        else:
            changed.append(uid)
            continue
        if con.execute(query, args).fetchone()[0]:
            changed.append(uid)
    return changed


def changed_since_last_build(con, manifest: dict) -> set[str] | None:
    """The dbt sources (unique ids) with a row loaded since the last completed build, or None
    when no build is logged (then nothing can be left as it is)."""
    last = _last_build(con)
    return None if last is None else set(changed_sources(con, manifest, last[1]))


def unchanged_models(manifest: dict, changed: set[str] | None) -> list[str]:
    """The models of rollcall_dbt_models (unique ids, parents first) that no source changed
    since the last completed build reaches: an incremental build leaves them, and their tests, as they are.

    A model's rows are a function of what it reads (no model reads the clock: the
    ladder's "today" is the latest event's day), so a model none of whose sources
    changed would be rebuilt into itself. Models built from macros alone (the meanings
    and rungs) change only with the models, which is a full refresh.
    """
    if changed is None:
        return []
    reached, todo = set(), sorted(changed)
    while todo:
        for child in manifest["child_map"].get(todo.pop(), []):
            if child not in reached:
                reached.add(child)
                todo.append(child)
    # A test that reads a model built now and one left (a relationships test: new touchpoints'
    # campaign keys against marts.campaigns) would be left with it (dbt's indirect selection),
    # and the new rows would go unchecked. The model it reads is built too (into itself).
    for uid in list(reached):
        if uid.startswith("test."):
            reached.update(manifest["nodes"][uid]["depends_on"]["nodes"])
    left = {
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and not node["original_file_path"].startswith("models/segments/")
        and uid not in reached
    }
    ordered: list[str] = []  # parents before children

    def visit(uid: str) -> None:
        if uid in left:
            left.discard(uid)
            for parent in sorted(manifest["parent_map"].get(uid, [])):
                visit(parent)
            ordered.append(uid)

    for uid in sorted(left):
        visit(uid)
    return ordered


def unchanged_source_tests(manifest: dict, changed: set[str] | None) -> list[str]:
    """The data tests of dbt sources (unique ids) that read only sources not in `changed`
    (changed_since_last_build): the build that loaded their rows tested these very rows
    (a build whose test failed is not a completed one)."""
    if changed is None:
        return []
    return sorted(
        uid
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] == "test"
        and not node["original_file_path"].startswith("models/segments/")
        and (parents := node["depends_on"]["nodes"])
        and all(parent.startswith("source.") and parent not in changed for parent in parents)
    )


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
        ["segments", "segment_lift_by_affiliate"],
    ],
    group_name="published",
    kinds={"duckdb"},
    pool=POOL,
    description="A read-only copy of the warehouse, swapped in atomically for the CLI and dashboards.",
)
def published_warehouse(warehouse: Warehouse, landing: Landing) -> dg.MaterializeResult:
    # What this run read: `rollcall run` worked it out before it started (a file
    # landing mid-run makes the next run look again); from the Dagster UI, now.
    inputs = os.environ.get("ROLLCALL_RUN_INPUTS") or runstate.inputs_fingerprint(
        Path(landing.path), segments_path(Path(landing.path))
    )
    wh.publish(warehouse.build, warehouse.published, inputs)
    return dg.MaterializeResult(metadata={"path": str(warehouse.published)})


@dg.asset_check(asset=dg.AssetKey(["marts", "unmatched_identifiers"]), blocking=False)
def unmatched_touchpoints(warehouse: Warehouse) -> dg.AssetCheckResult:
    """Events whose email or phone matches no person: kept, counted here."""
    with warehouse.connect() as con:
        rows = con.sql(
            "select channel, sum(events) from marts.unmatched_identifiers group by 1 order by 1"
        ).fetchall()
    total = sum(n for _, n in rows)
    return dg.AssetCheckResult(
        passed=total == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"unmatched": total, **{f"unmatched_{c}": n for c, n in rows}},
    )


everything = dg.define_asset_job("everything", selection=dg.AssetSelection.all())
daily = dg.ScheduleDefinition(job=everything, cron_schedule="0 6 * * *")
