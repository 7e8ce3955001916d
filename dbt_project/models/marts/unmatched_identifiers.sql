{{
    config(
        materialized=event_materialization(),
        unique_key=['channel', 'identifier'],
        incremental_strategy='fold',
        pre_hook="{{ delete_action_network_rows('channel') }}",
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}

-- Emails and phones that events came from but no person has, per channel:
-- how many events and when last seen. The data health page reads this
-- instead of scanning every event. A daily build folds in the events loaded
-- since loaded_through (macros/fold.sql); when people changed, an address
-- may have found its person, and the whole summary is recomputed.
-- Action Network actions (channel action, identifier the activist uuid no
-- people export has) are recounted whole on every build (their rows deleted
-- first, a pre-hook): ingest replaces an action's row, which a fold would
-- count twice.
{%- set fold = fold_new_events() %}

with

unmatched as (

    select
        channel,
        identifier,
        count(*) as events,
        max(occurred_at) as last_seen,
        max(loaded_at) as loaded_through
    from {{ ref('touchpoints') }}
    where
        person_key is null
        -- an event with no email or phone at all (a patch-through child leg
        -- whose parent has not landed yet) has no identifier to report: once
        -- the parent lands it has one, and is counted then (daily = full)
        and identifier is not null
        -- folding: only the events loaded since the latest one counted
        and (
            {{ "loaded_at > " ~ incremental_watermark('loaded_through') if fold else "true" }}
            or channel = 'action'
        )
    group by channel, identifier

),

-- The summary held, when folding.
held as (

    {{ fold_held(fold, 'unmatched') }}

)

select
    unmatched.channel,
    unmatched.identifier,
    unmatched.events + coalesce(held.events, 0) as events,
    greatest(unmatched.last_seen, coalesce(held.last_seen, unmatched.last_seen)) as last_seen,
    greatest(unmatched.loaded_through, coalesce(held.loaded_through, unmatched.loaded_through))
        as loaded_through
from unmatched
left join held
    on
        unmatched.channel = held.channel
        and unmatched.identifier is not distinct from held.identifier
