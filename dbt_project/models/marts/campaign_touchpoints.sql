{{
    config(
        materialized='incremental',
        unique_key=['touchpoint_id', 'campaign_id'],
        incremental_strategy=upsert_strategy(),
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}

-- Attributed actions of matched people: one row per (touchpoint, campaign).
-- A touchpoint can belong to several campaigns (a reply to every campaign
-- that texted the phone, a call to every campaign listing the number).
-- loaded_at: when the action became known. Incremental as touchpoints.
select
    touchpoint_id,
    campaign_id,
    person_id,
    action,
    occurred_at,
    is_machine_open,
    loaded_at
from {{ ref('int_campaign_actions') }}
{% if is_incremental() %}
    where
        {{ new_or_rematched() }}
{% endif %}
-- Stored by campaign and action: a cohort's "within N days" reads one slice.
order by campaign_id, action
