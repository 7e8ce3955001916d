{{ config(materialized='view') }}

-- Email actions per campaign: a SendGrid event belongs to every campaign
-- whose email_campaign_id equals the event's campaign_id custom arg.
-- delivered / opened (human opens) / machine_opened (an open by a privacy
-- proxy, sg_machine_open: its own action, so no consumer filters a flag) / clicked /
-- bounced (any bounce event, hard or soft; dropped is not a bounce) /
-- unsubscribed (unsubscribe or group_unsubscribe).
-- A view, read through int_campaign_actions by marts/campaign_touchpoints.
with

events as (

    select * from {{ ref('int_email_events') }}

),

campaigns as (

    select * from {{ ref('stg_campaigns__campaigns') }}

)

select
    events.sg_event_id,
    campaigns.campaign_key,
    campaigns.campaign_id,
    events.person_key,
    case events.event_type
        when 'delivered' then 'delivered'
        when 'open' then case when events.is_machine_open then 'machine_opened' else 'opened' end
        when 'click' then 'clicked'
        when 'bounce' then 'bounced'
        when 'unsubscribe' then 'unsubscribed'
        when 'group_unsubscribe' then 'unsubscribed'
    end as action,
    events.occurred_at,
    events.loaded_at
from events
inner join campaigns
    on events.email_campaign_id = campaigns.email_campaign_id
where events.event_type in (
    'delivered', 'open', 'click', 'bounce', 'unsubscribe', 'group_unsubscribe'
)
