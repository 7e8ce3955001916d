{{
    config(
        materialized='incremental',
        unique_key=['person_id', 'campaign_id'],
        incremental_strategy=upsert_strategy(),
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}

-- One row per person x campaign with any attributed action: the first time
-- of each action. first_opened_at counts human opens only;
-- first_opened_any_at counts machine (privacy-proxy) opens too.
-- Incremental: every person with an action loaded since the last completed
-- build (the build log), or loaded since themselves, has all their rows
-- worked out again from all their actions, so a late event with an earlier
-- time moves a first time back exactly as a full build would.
with

actions as (

    select * from {{ ref('campaign_touchpoints') }}
    {% if is_incremental() %}
        where person_id in (
            select changed.person_id from {{ ref('campaign_touchpoints') }} as changed
            where changed.loaded_at > {{ last_build_events_loaded_through() }}
            union all
            {{ people_loaded_since('person_id') }}
        )
    {% endif %}

)

select
    person_id,
    campaign_id,
    min(case when action = 'delivered' then occurred_at end) as first_delivered_at,
    min(case when action = 'opened' and not is_machine_open then occurred_at end)
        as first_opened_at,
    min(case when action = 'opened' then occurred_at end) as first_opened_any_at,
    min(case when action = 'clicked' then occurred_at end) as first_clicked_at,
    min(case when action = 'bounced' then occurred_at end) as first_bounced_at,
    min(case when action = 'unsubscribed' then occurred_at end) as first_unsubscribed_at,
    min(case when action = 'texted' then occurred_at end) as first_texted_at,
    min(case when action = 'replied' then occurred_at end) as first_replied_at,
    min(case when action = 'called' then occurred_at end) as first_called_at,
    {{ person_key('person_id') }} as person_key
from actions
group by person_id, campaign_id
-- Stored by campaign: a cohort reads one campaign's rows and skips the rest.
order by campaign_id, person_id
