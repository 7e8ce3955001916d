-- Every landed event once (email events, text messages, call legs), with
-- the person it matched; person_id null = unmatched, kept and counted.
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
    bounce_type
from {{ ref('int_touchpoints') }}
