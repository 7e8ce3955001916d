{{
    config(
        materialized='incremental',
        unique_key='sg_event_id',
        incremental_strategy=upsert_strategy(),
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}

-- Every SendGrid event, matched to a person by normalised email
-- (person_id null = unmatched; kept, never dropped).
-- Incremental: events loaded since the last build, and events to an email
-- of a person loaded since (re)matched.
with

events as (

    select * from {{ ref('stg_sendgrid__events') }}
    {% if is_incremental() %}
        where
            loaded_at > {{ incremental_watermark() }}
            or email_norm in ({{ people_loaded_since('email_norm') }})
    {% endif %}

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
    emails.person_id,
    events.loaded_at
from events
left join emails
    on events.email_norm = emails.email_norm
