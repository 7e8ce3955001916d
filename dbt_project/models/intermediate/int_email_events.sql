{{
    config(
        materialized='incremental',
        unique_key='sg_event_id',
        incremental_strategy=upsert_strategy(),
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}

-- Every SendGrid event once (the first landed copy of its sg_event_id: a
-- webhook post or export landed twice holds the same events again), matched
-- to a person by normalised email (person_id null = unmatched; kept, never
-- dropped).
-- Incremental: events landed since the last build (a repeat of an event
-- already kept never replaces it), and events already kept whose email
-- belongs to a person loaded since, matched again.
with

landed as (

    {{ first_landed_copies(
        ref('stg_sendgrid__events'), 'sg_event_id', 'sg_event_id',
        loaded_at='loaded_at', source_file='source_file'
    ) }}

),

events as (

    select
        sg_event_id,
        event_type,
        email_norm,
        -- the address as logged only where it did not normalise: a second copy
        -- of every valid address would cost as much to write as the event id
        case when email_norm is null then email end as email_as_logged,
        occurred_at,
        email_campaign_id,
        is_machine_open,
        bounce_type,
        asm_group_id,
        loaded_at
    from landed

    {% if is_incremental() %}
        union all

        select
            sg_event_id,
            event_type,
            email_norm,
            email_as_logged,
            occurred_at,
            email_campaign_id,
            is_machine_open,
            bounce_type,
            asm_group_id,
            loaded_at
        from {{ this }}
        where email_norm in ({{ people_loaded_since('email_norm') }})
    {% endif %}

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
    emails.person_id,
    events.loaded_at
from events
left join emails
    on events.email_norm = emails.email_norm
