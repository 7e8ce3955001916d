{{
    config(
        materialized=event_materialization(),
        unique_key=['person_key', 'campaign_id'],
        incremental_strategy=upsert_strategy(),
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}

-- One row per person x campaign with any attributed action: the first time
-- of each action, keyed by the person's integer key. first_opened_at counts
-- human opens (action opened); first_opened_any_at machine opens too.
-- Incremental: the actions loaded since the last completed build (the build
-- log), and those of people loaded since, are folded into the rows already
-- held, first time by first time (the earlier wins; a late event with an
-- earlier time moves a first time back). Exact because campaign_touchpoints
-- only gains actions between builds: a change that would take an action
-- away from a person runs a full refresh (pipelines/defs/transform/assets.py).
with

actions as (

    select * from {{ ref('campaign_touchpoints') }}
    {% if is_incremental() %}
        where
            {{ rebuilt_rows() }}
    {% endif %}

),

firsts as (

    select
        person_key,
        campaign_id,
        min(case when action = 'delivered' then occurred_at end) as first_delivered_at,
        min(case when action = 'opened' then occurred_at end) as first_opened_at,
        min(case when action in ('opened', 'machine_opened') then occurred_at end)
            as first_opened_any_at,
        min(case when action = 'clicked' then occurred_at end) as first_clicked_at,
        min(case when action = 'bounced' then occurred_at end) as first_bounced_at,
        min(case when action = 'unsubscribed' then occurred_at end) as first_unsubscribed_at,
        min(case when action = 'texted' then occurred_at end) as first_texted_at,
        min(case when action = 'replied' then occurred_at end) as first_replied_at,
        min(case when action = 'called' then occurred_at end) as first_called_at,
        max(loaded_at) as loaded_at
    from actions
    group by person_key, campaign_id

)

{% set times = [
    'first_delivered_at', 'first_opened_at', 'first_opened_any_at', 'first_clicked_at',
    'first_bounced_at', 'first_unsubscribed_at', 'first_texted_at', 'first_replied_at',
    'first_called_at',
] %}

select
    firsts.person_key,
    firsts.campaign_id,
    -- incremental: the earlier of the new and the held time (least()
    -- skips nulls on DuckDB and Spark)
    {% if is_incremental() %}
        {% for time in times %}
            least(firsts.{{ time }}, held.{{ time }}) as {{ time }},
        {% endfor %}
        greatest(firsts.loaded_at, held.loaded_at) as loaded_at
    {% else %}
        {% for time in times %}
            firsts.{{ time }},
        {% endfor %}
        firsts.loaded_at
    {% endif %}
from firsts
{% if is_incremental() %}
    left join {{ this }} as held
        on
            firsts.person_key = held.person_key
            and firsts.campaign_id = held.campaign_id
{% endif %}
-- Stored by campaign: a cohort reads one campaign's rows and skips the rest
-- (ordering people within a campaign too cost 3 s at 1M and no cohort reads it).
order by firsts.campaign_id
