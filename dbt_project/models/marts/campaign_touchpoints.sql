{{
    config(
        materialized=event_materialization(),
        incremental_strategy='append',
        pre_hook="{{ delete_rebuilt_rows() }}",
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}
-- depends_on: {{ ref('stg_action_network__actions') }}

-- Attributed actions of matched people: one row per (touchpoint, campaign),
-- keyed by the person's and the campaign's integer keys (the campaign_id
-- rides along as a label). A touchpoint can belong to several
-- campaigns (a reply to every campaign that texted the phone, a call to
-- every campaign listing the number). loaded_at: when the action became
-- known. A daily build appends the actions loaded since the last completed
-- build and rewrites those of people loaded since (macros/incremental.sql);
-- an Action Network action replaced since (a later modified copy) loses
-- its old rows first, so an RSVP accepted then declined is rsvped no more.
select
    touchpoint_id,
    campaign_key,
    campaign_id,
    person_key,
    action,
    occurred_at,
    loaded_at
from {{ ref('int_campaign_actions') }}
{% if is_incremental() %}
    where
        {{ rebuilt_rows() }}
{% endif %}
-- Stored by campaign (its integer key: exact zone maps) and action: a
-- cohort's "within N days" reads one slice.
order by campaign_key, action
