{{ config(materialized='view') }}

-- Every landed event once (email events, text messages, call legs), with
-- the person it matched; person_id null = unmatched, kept and counted.
-- loaded_at: when the event first landed. A view over the event tables
-- (int_email_events, int_sms_messages, int_call_legs), which hold each
-- event once already: a copy of tens of millions of rows would add nothing.
select
    touchpoint_id,
    source,
    channel,
    event_type,
    occurred_at,
    person_id,
    identifier,
    is_machine_open,
    status,
    error_code,
    bounce_type,
    loaded_at
from {{ ref('int_touchpoints') }}
