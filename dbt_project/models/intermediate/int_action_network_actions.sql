{{ config(materialized='view') }}

-- Every Action Network action once (ingest keeps each action_id once, its
-- latest modified copy), with the person it belongs to: person_key is null
-- when its person_id (the activist's uuid) is in no people export yet
-- (unmatched: kept and counted, never dropped). A view: the actions are
-- read by int_action_network_actions_attributed and marts.touchpoints.
with

actions as (

    select * from {{ ref('stg_action_network__actions') }}

),

people as (

    select * from {{ ref('stg_action_network__people') }}

)

select
    actions.action_id,
    actions.kind,
    actions.page_kind,
    actions.page_id,
    actions.person_id,
    people.person_key,
    actions.status,
    actions.outreach_type,
    actions.occurred_at,
    actions.loaded_at
from actions
left join people
    on actions.person_id = people.person_id
