-- Every SendGrid event, matched to a person by normalised email
-- (person_id null = unmatched; kept, never dropped).
with

events as (

    select * from {{ ref('stg_sendgrid__events') }}

),

emails as (

    select * from {{ ref('int_person_emails') }}

)

select
    events.sg_event_id,
    events.event_type,
    events.email_norm,
    coalesce(events.email_norm, events.email) as identifier,
    events.occurred_at,
    events.email_campaign_id,
    events.is_machine_open,
    events.bounce_type,
    events.url,
    emails.person_id
from events
left join emails
    on events.email_norm = emails.email_norm
