-- Opt-out state per phone from its keyword replies: the latest STOP-family
-- or START-family reply wins (a STOP after the last START = opted out).
with

keywords as (

    select
        activist_e164 as phone_e164,
        keyword_action,
        sent_at,
        message_sid,
        row_number() over (
            partition by activist_e164
            order by sent_at desc nulls last, message_sid desc
        ) as recency
    from {{ ref('int_sms_messages') }}
    where keyword_action is not null and activist_e164 is not null

)

select
    phone_e164,
    keyword_action as latest_keyword_action,
    sent_at as latest_keyword_at,
    message_sid as latest_keyword_sid,
    keyword_action = 'opt_out' as is_opted_out
from keywords
where recency = 1
