{{ config(materialized='view') }}

-- Every SendGrid event once, matched to a person by normalised email
-- (person_key null = unmatched; kept, never dropped). A view: ingest already
-- keeps each event once, so the 28M events of a large federation are not
-- written again; the identity map (int_person_emails) is what changes when
-- people do.
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
    events.email_as_logged,
    events.occurred_at,
    events.email_campaign_id,
    events.is_machine_open,
    events.bounce_type,
    events.asm_group_id,
    emails.person_key,
    events.loaded_at
from events
left join emails
    on events.email_norm = emails.email_norm
