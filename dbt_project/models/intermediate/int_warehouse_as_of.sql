-- The warehouse's as-of day (DESIGN, "engagement ladder": today): the UTC
-- day of the latest event it holds, an email event's timestamp, a text's
-- sent date, a call's start or an action's created_date, whether matched
-- or attributed or not. A rebuild of the same files gives the same day.
-- first_day: the UTC day of the earliest, where the ladder's months begin.
-- One row (no row's values when the warehouse holds no event).
with

event_times as (

    select
        min(occurred_at) as first_at,
        max(occurred_at) as last_at
    from {{ ref('stg_sendgrid__events') }}

    union all

    select
        min(sent_at) as first_at,
        max(sent_at) as last_at
    from {{ ref('stg_twilio__messages') }}

    union all

    select
        min(started_at) as first_at,
        max(started_at) as last_at
    from {{ ref('stg_twilio__calls') }}

    union all

    select
        min(occurred_at) as first_at,
        max(occurred_at) as last_at
    from {{ ref('stg_action_network__actions') }}

)

select
    cast(min(first_at) as date) as first_day,
    cast(max(last_at) as date) as as_of_day
from event_times
