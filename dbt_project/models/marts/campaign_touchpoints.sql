-- Attributed actions of matched people: one row per (touchpoint, campaign).
-- A touchpoint can belong to several campaigns (a reply to every campaign
-- that texted the phone, a call to every campaign listing the number).
select
    touchpoint_id,
    campaign_id,
    person_id,
    action,
    occurred_at,
    is_machine_open
from {{ ref('int_campaign_actions') }}
