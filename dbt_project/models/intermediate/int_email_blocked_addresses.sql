-- Addresses we must not email: an unsubscribe, group_unsubscribe,
-- spamreport or hard bounce (bounce_type 'bounce'; 'blocked' is soft,
-- 'dropped' is no bounce) for the address, from any campaign, after the
-- address's latest group_resubscribe. One row per blocked address, with
-- the latest blocking event.
with

events as (

    select * from {{ ref('stg_sendgrid__events') }}
    where
        email_norm is not null
        and event_type in (
            'unsubscribe', 'group_unsubscribe', 'spamreport', 'bounce', 'group_resubscribe'
        )

),

resubscribes as (

    select
        email_norm,
        max(occurred_at) as latest_resubscribe_at
    from events
    where event_type = 'group_resubscribe'
    group by email_norm

),

blocking as (

    select
        events.email_norm,
        events.sg_event_id,
        events.occurred_at,
        resubscribes.latest_resubscribe_at,
        case
            when events.event_type = 'bounce' then 'hard_bounce'
            else events.event_type
        end as block_reason,
        row_number() over (
            partition by events.email_norm
            order by events.occurred_at desc nulls last, events.sg_event_id desc
        ) as recency
    from events
    left join resubscribes
        on events.email_norm = resubscribes.email_norm
    where
        (
            events.event_type in ('unsubscribe', 'group_unsubscribe', 'spamreport')
            -- a bounce without a type is treated as hard, the safe side
            or (events.event_type = 'bounce' and coalesce(events.bounce_type, 'bounce') = 'bounce')
        )
        and (
            resubscribes.latest_resubscribe_at is null
            or events.occurred_at > resubscribes.latest_resubscribe_at
        )

)

select
    email_norm,
    block_reason,
    occurred_at as blocked_at,
    sg_event_id as blocked_by_sg_event_id,
    latest_resubscribe_at
from blocking
where recency = 1
