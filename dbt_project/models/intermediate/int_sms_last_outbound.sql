{{
    config(
        materialized=event_materialization(),
        unique_key='phone_e164',
        incremental_strategy=upsert_strategy(),
    )
}}
-- The most recent outbound text to each phone, from any sender or campaign,
-- and whether it failed with an error that makes the number unreachable:
-- 30003 unreachable, 30005 unknown number, 30006 landline/unreachable
-- carrier, 21610 recipient replied STOP. A daily build decides again only
-- the phones texted by a message loaded since the last completed build,
-- from all of their texts (a message is never replaced once kept).
{%- set unreachable_error_codes = [30003, 30005, 30006, 21610] %}

with

outbound as (

    select
        activist_e164 as phone_e164,
        message_sid,
        sent_at,
        status,
        error_code,
        row_number() over (
            partition by activist_e164
            order by sent_at desc nulls last, message_sid desc
        ) as recency
    from {{ ref('int_sms_messages') }}
    where
        is_outbound
        and activist_e164 is not null
        {% if is_incremental() %}
            and activist_e164 in (
                select texted.activist_e164 from {{ ref('int_sms_messages') }} as texted
                where texted.is_outbound and texted.loaded_at > {{ last_build_at() }}
            )
        {% endif %}

)

select
    phone_e164,
    message_sid as last_outbound_sid,
    sent_at as last_outbound_at,
    status as last_outbound_status,
    error_code as last_outbound_error_code,
    coalesce(error_code in ({{ unreachable_error_codes | join(', ') }}), false)
        as is_unreachable_error
from outbound
where recency = 1
