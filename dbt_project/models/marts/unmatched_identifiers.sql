-- Emails and phones that events came from but no person has, per channel:
-- how many events and when last seen. The data health page reads this
-- instead of scanning every event.
select
    channel,
    identifier,
    count(*) as events,
    max(occurred_at) as last_seen
from {{ ref('touchpoints') }}
where person_id is null
group by channel, identifier
