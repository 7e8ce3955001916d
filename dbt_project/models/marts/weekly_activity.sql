{{
    config(
        materialized=event_materialization(),
        unique_key=['week', 'affiliate', 'action'],
        incremental_strategy='fold',
        pre_hook="{{ delete_action_network_rows('action') }}",
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}
-- Built after the funnel, not read: why in docs/contract.md (marts).
-- depends_on: {{ ref('person_campaign_funnel') }}

-- Attributed actions per week and affiliate, for the leadership overview:
-- opens are human opens only; a text, reply, call or Action Network action
-- that counts for several campaigns counts once here (an email event belongs to one campaign's
-- email, so email actions are counted as they are). Summed over affiliates
-- it is the whole federation's week (each person has one affiliate).
-- One pass over the actions (a CTE read twice is copied whole); folding, a
-- second over the held texts, replies and calls of the day's touchpoints.
-- A daily build folds in the actions loaded since loaded_through (the
-- latest action counted) and adds them to the weeks held (macros/fold.sql);
-- a text, reply or call counted before for another campaign is not counted
-- again. Action Network's actions (signed, submitted, rsvped, wrote) are
-- recounted whole on every build (their rows deleted first, a pre-hook): an
-- action ingest replaced (an RSVP accepted, then declined) can take one away,
-- which a fold cannot; they are few beside the email events.
{%- set fold = fold_new_events() %}
{%- set an_actions = "('" ~ action_network_actions() | join("', '") ~ "')" %}
{%- set folded_once = "('texted', 'replied', 'called')" %}
{%- set once = "('texted', 'replied', 'called', '" ~ action_network_actions() | join("', '") ~ "')" %}

with

actions as (

    select * from {{ ref('campaign_touchpoints') }}
    where
        (action in ('delivered', 'opened', 'clicked') or action in {{ once }})
        -- folding: only the events loaded since the latest one counted, and
        -- every Action Network action
        and (
            {{ "loaded_at > " ~ incremental_watermark('loaded_through') if fold else "true" }}
            or action in {{ an_actions }}
        )

),

-- Texts, replies and calls of the batch already counted for another campaign.
counted_before as (

    {%- if fold %}
        select distinct touchpoint_id
        from {{ ref('campaign_touchpoints') }}
        where
            action in {{ folded_once }}
            and loaded_at <= {{ incremental_watermark('loaded_through') }}
            and touchpoint_id in (select new_action.touchpoint_id from actions as new_action)
    {%- else %}
        -- none (not from actions: a CTE read twice would be copied whole)
        select cast(null as {{ dbt.type_string() }}) as touchpoint_id
        where false
    {%- endif %}

),

-- Each once-counted action's touchpoint its own row first, every other action's rows
-- counted: a count(distinct) beside other aggregates makes DuckDB copy all 19M rows
-- it reads (4.9 s against 3.9 s, the 1M sample's full build, the model alone).
touchpoints as (

    select
        cast({{ dbt.date_trunc('week', 'actions.occurred_at') }} as date) as week,
        people.affiliate,
        actions.action,
        case
            when actions.action in {{ once }} and counted_before.touchpoint_id is null
                then actions.touchpoint_id
        end as once_touchpoint,
        count(*) as rows_,
        max(actions.loaded_at) as loaded_through
    from actions
    inner join {{ ref('people') }} as people
        on actions.person_key = people.person_key
    left join counted_before
        on actions.touchpoint_id = counted_before.touchpoint_id
    group by week, people.affiliate, actions.action, once_touchpoint

),

weekly as (

    select
        week,
        affiliate,
        action,
        cast(sum(rows_) as {{ dbt.type_bigint() }}) as rows_,
        count(once_touchpoint) as distinct_touchpoints,
        max(loaded_through) as loaded_through
    from touchpoints
    group by week, affiliate, action

),

counted as (

    select
        week,
        affiliate,
        action,
        case
            when action in {{ once }} then distinct_touchpoints else rows_
        end as actions,
        loaded_through
    from weekly

),

-- The weeks held, when folding.
held as (

    {{ fold_held(fold, 'counted') }}

)

select
    counted.week,
    counted.affiliate,
    counted.action,
    counted.actions + coalesce(held.actions, 0) as actions,
    greatest(counted.loaded_through, coalesce(held.loaded_through, counted.loaded_through))
        as loaded_through
from counted
left join held
    on
        counted.week = held.week
        and counted.action = held.action
        and counted.affiliate is not distinct from held.affiliate
