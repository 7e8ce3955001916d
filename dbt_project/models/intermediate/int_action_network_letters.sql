{{ config(materialized='view') }}

-- Letters with their targets: one row per (attributed outreach, campaign,
-- target), an outreach being what "wrote" counts (an advocacy-campaign
-- action, whatever its type: a letter, an email, a call through Action
-- Network). Matched or not: a letter from someone in no people export still
-- reached its MP. Read by marts.letters_by_target.
with

attributed as (

    select * from {{ ref('int_action_network_actions_attributed') }}

),

targets as (

    select * from {{ ref('stg_action_network__action_targets') }}

)

select
    attributed.action_id,
    attributed.campaign_id,
    attributed.person_key,
    targets.target_index,
    targets.title,
    targets.given_name,
    targets.family_name,
    targets.ocdid,
    attributed.occurred_at
from attributed
inner join targets
    on attributed.action_id = targets.action_id
where attributed.action = 'wrote'
