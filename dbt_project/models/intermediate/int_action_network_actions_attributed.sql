{{ config(materialized='view') }}

-- Action Network actions per campaign: an action belongs to every campaign
-- whose campaigns.yml `actions:` list its page (page_kind, page_id); an
-- action on a page no campaign lists is unattributed (it stays in
-- marts.touchpoints and marts.unattributed_actions). The one place these
-- meanings are written (DESIGN, "Meanings"):
--   signed     a petition signature
--   submitted  a form submission
--   rsvped     an event attendance whose latest status is accepted
--   wrote      an advocacy-campaign outreach, whatever its type
-- action is null for an action that means none of them (yet): an attendance
-- tentative, declined or needing action. Those rows stay so that a daily
-- build finds the person and campaign of an action that changed
-- (accepted -> declined) and recomputes its funnel row.
-- A view, read through int_campaign_actions by marts/campaign_touchpoints.
with

actions as (

    select * from {{ ref('int_action_network_actions') }}

),

campaign_actions as (

    select * from {{ ref('stg_campaigns__actions') }}

)

select
    actions.action_id,
    campaign_actions.campaign_id,
    actions.person_key,
    case actions.kind
        when 'signature' then 'signed'
        when 'submission' then 'submitted'
        when 'attendance' then case when actions.status = 'accepted' then 'rsvped' end
        when 'outreach' then 'wrote'
    end as action,
    actions.occurred_at,
    actions.loaded_at
from actions
inner join campaign_actions
    on
        actions.page_kind = campaign_actions.page_kind
        and actions.page_id = campaign_actions.page_id
