"""The Dagster definitions load headlessly, and lineage runs from landed files to marts."""

from __future__ import annotations

import dagster as dg

from pipelines.definitions import defs


def test_definitions_load_and_lineage_runs_from_landing_to_published():
    loaded = defs()
    graph = loaded.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    for key in (
        "landing/people",
        "landing/sendgrid",
        "raw/people",
        "raw/sendgrid_events",
        "raw/twilio_calls",
        "staging/stg_sendgrid__events",
        "marts/person_campaign_funnel",
        "marts/reachability",
        "published_warehouse",
    ):
        assert key in keys, key
    ancestors = {
        k.to_user_string()
        for k in graph.get_ancestor_asset_keys(dg.AssetKey(["marts", "person_campaign_funnel"]))
    }
    assert {"landing/sendgrid", "raw/sendgrid_events", "landing/twilio_calls", "raw/campaigns"} <= ancestors
    assert "marts/person_campaign_funnel" in {
        k.to_user_string() for k in graph.get_ancestor_asset_keys(dg.AssetKey(["published_warehouse"]))
    }


def test_every_asset_that_writes_the_warehouse_is_in_the_one_writer_pool():
    loaded = defs()
    for assets_def in loaded.assets or []:
        if not isinstance(assets_def, dg.AssetsDefinition) or not assets_def.is_executable:
            continue
        pools = {op.pool for op in assets_def.node_def.iterate_op_defs()}
        assert pools == {"warehouse"}, (assets_def.keys, pools)
