"""Action Network: the API resource, the people pull and the push of segment tags.

With no ROLLCALL_AN_TOKEN the assets log that they skipped and succeed, so
`rollcall run` on the demo works offline.
"""

import os
from pathlib import Path

import dagster as dg

from pipelines.defs.resources import Landing, Warehouse
from pipelines.lib import actionnetwork as an
from pipelines.lib import segments as seg

POOL = "warehouse"
GROUP = "actionnetwork"
NO_TOKEN = "skipped: no Action Network API token (set ROLLCALL_AN_TOKEN)"


class ActionNetwork(dg.ConfigurableResource):
    """Action Network API v2: ROLLCALL_AN_URL (default the real API) and ROLLCALL_AN_TOKEN."""

    url: str = an.DEFAULT_URL
    token: str = ""

    def client(self) -> an.Client | None:
        return an.Client(self.url, self.token) if self.token else None


@dg.asset(
    key=["actionnetwork", "people"],
    group_name=GROUP,
    kinds={"duckdb"},
    pool=POOL,
    description=(
        "People pulled from the Action Network API (changed since the last pull) into raw.people, "
        "normalised exactly like the CSV activist export."
    ),
)
def actionnetwork_people(
    context: dg.AssetExecutionContext, warehouse: Warehouse, actionnetwork: ActionNetwork
) -> dg.MaterializeResult:
    client = actionnetwork.client()
    if client is None:
        context.log.info(f"Action Network pull {NO_TOKEN}")
        return dg.MaterializeResult(metadata={"skipped": NO_TOKEN})
    with warehouse.connect_raw() as con:
        result = an.pull_people(con, client)
    context.log.info(f"Action Network pull: {result.metadata()}")
    return dg.MaterializeResult(metadata=result.metadata())


@dg.asset(
    key=["actionnetwork", "segment_tags"],
    deps=[["segments", "membership"]],
    group_name=GROUP,
    kinds={"python"},
    pool=POOL,
    description=(
        "Each segment with the `actionnetwork` destination synced to its tag in Action Network: mirror "
        "mode adds it to who entered and removes it from who left or became unreachable (add_only only "
        "adds); resumable, never a control or unreachable member; removals over the cap are refused."
    ),
)
def actionnetwork_segment_tags(
    context: dg.AssetExecutionContext, warehouse: Warehouse, landing: Landing, actionnetwork: ActionNetwork
) -> dg.MaterializeResult:
    segments = [
        s for s in seg.load(seg.segments_path(Path(landing.path))) if "actionnetwork" in s.destinations
    ]
    client = actionnetwork.client()
    if not segments or client is None:
        why = "no segment has the actionnetwork destination" if not segments else NO_TOKEN
        context.log.info(f"Action Network push {why}")
        return dg.MaterializeResult(metadata={"skipped": why})
    metadata: dict = {}
    stopped, refused = [], []
    with warehouse.connect() as con:
        for segment in segments:
            try:
                summary = an.sync_segment(con, client, segment)
            except an.SyncRefused as exc:
                summary = exc.summary
                refused.append(summary.line())
            except an.SyncAborted as exc:
                summary = exc.summary
                stopped.append(summary.line())
            context.log.info(f"Action Network push {summary.line()}")
            metadata.update({f"{segment.id} {k}": v for k, v in summary.metadata().items()})
    if stopped or refused:
        why = "stopped early; a rerun resumes: " if stopped else "refused: "
        raise dg.Failure(
            description=f"Action Network push {why}" + "; ".join(stopped + refused),
            metadata=metadata,
        )
    return dg.MaterializeResult(metadata=metadata)


@dg.definitions
def actionnetwork_definitions() -> dg.Definitions:
    # The token stays an environment variable reference: never shown in the UI.
    token = dg.EnvVar("ROLLCALL_AN_TOKEN") if os.environ.get("ROLLCALL_AN_TOKEN") else ""
    url = os.environ.get("ROLLCALL_AN_URL") or an.DEFAULT_URL
    return dg.Definitions(
        assets=[actionnetwork_people, actionnetwork_segment_tags],
        resources={"actionnetwork": ActionNetwork(url=url, token=token)},
    )
