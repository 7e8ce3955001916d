{{
    config(
        materialized=event_materialization(),
        incremental_strategy='append',
        pre_hook="{{ delete_rechecked_addresses() }}",
    )
}}
-- Addresses we must not email: the email half of DESIGN's "reachable by
-- email", in this one place (marts.reachability reads it; the cohort
-- engine's --reachable, segment exports and the Action Network push read
-- marts.reachability). SendGrid's suppressions, as SendGrid keeps them:
-- - for good: an unsubscribe, a spamreport or a hard bounce (bounce_type
--   'bounce'; a bounce without a type counts as hard, the safe side;
--   'blocked' is soft, 'dropped' is no bounce) for the address, from any
--   campaign. No resubscribe undoes them.
-- - per group: a group_unsubscribe, unless a later group_resubscribe of the
--   same asm_group_id undid it. One without a group (asm_group_id null) is
--   never undone, and a resubscribe of another group or at the same second
--   does not undo it.
-- One row per blocked address, with the latest event that still blocks it.
-- A daily build decides again only the addresses with a suppression event
-- loaded since the last completed build (their rows deleted first, a
-- pre-hook: an address a resubscribe freed has no row any more), from all
-- of their events.
{%- set suppressions = suppression_events() %}

with

events as (

    select * from {{ ref('stg_sendgrid__events') }}
    where
        email_norm is not null
        and event_type in ('{{ suppressions | join("', '") }}')  -- noqa: LT05
        {% if is_incremental() %}
            and email_norm in ({{ rechecked_addresses() }})
        {% endif %}

),

group_resubscribes as (

    select
        email_norm,
        asm_group_id,
        max(occurred_at) as latest_resubscribe_at
    from events
    where event_type = 'group_resubscribe' and asm_group_id is not null
    group by email_norm, asm_group_id

),

blocking as (

    select
        events.email_norm,
        events.sg_event_id,
        events.occurred_at,
        events.asm_group_id,
        case
            when events.event_type = 'bounce' then 'hard_bounce'
            else events.event_type
        end as block_reason,
        row_number() over (
            partition by events.email_norm
            order by events.occurred_at desc nulls last, events.sg_event_id desc
        ) as recency
    from events
    left join group_resubscribes
        on
            events.event_type = 'group_unsubscribe'
            and events.email_norm = group_resubscribes.email_norm
            and events.asm_group_id = group_resubscribes.asm_group_id
    where
        -- for good
        events.event_type in ('unsubscribe', 'spamreport')
        or (events.event_type = 'bounce' and coalesce(events.bounce_type, 'bounce') = 'bounce')
        -- per group, until a later resubscribe of the same group
        or (
            events.event_type = 'group_unsubscribe'
            and not coalesce(group_resubscribes.latest_resubscribe_at > events.occurred_at, false)
        )

)

select
    email_norm,
    block_reason,
    occurred_at as blocked_at,
    sg_event_id as blocked_by_sg_event_id,
    -- the group of a blocking group_unsubscribe (null for the others)
    asm_group_id
from blocking
where recency = 1
