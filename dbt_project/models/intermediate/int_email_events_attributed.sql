{{ config(materialized='view') }}

-- Email actions per campaign: a SendGrid event belongs to every campaign
-- whose email_campaign_id equals the event's campaign_id custom arg.
-- delivered / opened (open events; machine opens flagged) / clicked /
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
    campaigns.campaign_id,
    events.person_id,
    case events.event_type
        when 'delivered' then 'delivered'
        when 'open' then 'opened'
        when 'click' then 'clicked'
        when 'bounce' then 'bounced'
        when 'unsubscribe' then 'unsubscribed'
        when 'group_unsubscribe' then 'unsubscribed'
    end as action,
    events.occurred_at,
    events.is_machine_open,
    events.loaded_at
from events
inner join campaigns
    on events.email_campaign_id = campaigns.email_campaign_id
where events.event_type in (
    'delivered', 'open', 'click', 'bounce', 'unsubscribe', 'group_unsubscribe'
)
