{{
    config(
        materialized=event_materialization(),
        unique_key=['person_key', 'campaign_key'],
        incremental_strategy=upsert_strategy(),
        pre_hook=[
            "{{ delete_changed_action_pairs() }}",
            "{{ first_campaign_batch(ref('campaign_touchpoints')) }}",
        ],
        post_hook="{{ remaining_campaign_batches() }}",
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}
-- depends_on: {{ ref('int_action_network_actions_attributed') }}

-- One row per person x campaign with any attributed action: the first time
-- of each meaning (macros/meanings.sql: first_opened_at counts human opens,
-- first_opened_any_at machine opens too, first_acted_at any of signed,
-- submitted, rsvped, wrote or called), keyed by the person's and the
-- campaign's integer keys (grouped and stored on them; campaign_id, joined
-- from marts.campaigns, is a label), with the person's affiliate from
-- marts.people (so the per-affiliate summaries count the funnel without
-- joining the people again: campaign_summary's join was most of its cost).
-- Incremental: the actions loaded since the last completed build (the build
-- log), and those of people loaded since, are folded into the rows already
-- held, first time by first time (the earlier wins; a late event with an
-- earlier time moves a first time back); a person loaded again has every
-- row recomputed, so the affiliate is the person's current one. Exact
-- because campaign_touchpoints only gains actions between builds, except
-- for Action Network actions, which ingest replaces (an RSVP accepted, then
-- declined): the person x campaign rows such an action belongs to are
-- deleted first (the pre-hook) and recomputed from all their actions. Any
-- other change that would take an action away from a person runs a full
-- refresh (pipelines/defs/transform/assets.py).
{%- set meanings = funnel_meanings() %}

with

{% if is_incremental() %}
    -- the person x campaign rows of the Action Network actions (re)loaded since
    changed_pairs as (

        {{ changed_action_pairs() }}

    ),
{% endif %}

actions as (

    select touchpoints.* from {{ ref('campaign_touchpoints') }} as touchpoints
    {% if is_incremental() %}
        where {{ rebuilt_rows('touchpoints.') }}

        -- (a row read twice changes no first time)
        union all

        select touchpoints.* from {{ ref('campaign_touchpoints') }} as touchpoints
        inner join changed_pairs
            on
                touchpoints.person_key = changed_pairs.person_key
                and touchpoints.campaign_id = changed_pairs.campaign_id
    {% else %}
        -- a full build runs a few campaigns at a time (macros/batches.sql)
        where {{ in_campaign_batch('touchpoints.campaign_key') }}
    {% endif %}

),

firsts as (

    select
        person_key,
        campaign_key,
        {% for meaning, kinds in meanings %}
            {%- set listed = "('" ~ kinds | join("', '") ~ "')" %}
            min(case when action in {{ listed }} then occurred_at end) as first_{{ meaning }}_at,
        {% endfor %}
        max(loaded_at) as loaded_at
    from actions
    group by person_key, campaign_key

)

select
    firsts.person_key,
    campaigns.campaign_id,
    firsts.campaign_key,
    people.affiliate,
    -- incremental: the earlier of the new and the held time (least()
    -- skips nulls on DuckDB and Spark)
    {% if is_incremental() %}
        {% for meaning, kinds in meanings %}
            least(firsts.first_{{ meaning }}_at, held.first_{{ meaning }}_at) as first_{{ meaning }}_at,
        {% endfor %}
        greatest(firsts.loaded_at, held.loaded_at) as loaded_at
    {% else %}
        {% for meaning, kinds in meanings %}
            firsts.first_{{ meaning }}_at,
        {% endfor %}
        firsts.loaded_at
    {% endif %}
from firsts
inner join {{ ref('campaigns') }} as campaigns
    on firsts.campaign_key = campaigns.campaign_key
left join {{ ref('people') }} as people
    on firsts.person_key = people.person_key
{% if is_incremental() %}
    left join {{ this }} as held
        on
            firsts.person_key = held.person_key
            and firsts.campaign_key = held.campaign_key
{% endif %}
-- Stored by campaign key: a cohort reads one campaign's row groups and skips
-- the rest, which the integer's zone maps tell apart exactly (a string's
-- keep 8 bytes: '2026-01-pro-act' and '2026-01-pro-act-text' looked alike).
-- Ordering people within a campaign too cost 3 s at 1M and no cohort reads it.
order by firsts.campaign_key
