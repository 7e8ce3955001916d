{{
    config(
        materialized='incremental',
        unique_key='message_sid',
        incremental_strategy=upsert_strategy(),
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}

-- Every Twilio message with the activist's phone (the recipient of an
-- outbound text, the sender of an inbound one), the person it matches, and
-- the opt-out / opt-in keyword an inbound body is exactly (surrounding
-- spaces and punctuation ignored, any case).
-- Incremental: messages loaded since the last build, and messages to or
-- from a phone of a person loaded since (re)matched.

with

messages as (

    select * from {{ ref('stg_twilio__messages') }}

),

phones as (

    select * from {{ ref('int_person_phones') }}

),

classified as (

    select
        message_sid,
        direction,
        status,
        from_e164,
        to_e164,
        from_number,
        to_number,
        body,
        sent_at,
        error_code,
        coalesce(direction like 'outbound%', false) as is_outbound,
        case
            when direction = 'inbound' then from_e164
            when direction like 'outbound%' then to_e164
        end as activist_e164,
        -- only an inbound body can be a keyword (outbound bodies are long)
        case when direction = 'inbound' then upper(
            {{ regexp_replace_all('body', '^[^\\p{L}\\p{N}]+|[^\\p{L}\\p{N}]+$', '') }}
        ) end as body_keyword,
        loaded_at
    from messages

)

select
    classified.message_sid,
    classified.direction,
    classified.is_outbound,
    classified.status,
    classified.sent_at,
    classified.from_e164,
    classified.to_e164,
    classified.activist_e164,
    coalesce(
        classified.activist_e164,
        case when classified.is_outbound then classified.to_number else classified.from_number end
    ) as identifier,
    classified.body,
    classified.error_code,
    case
        when classified.direction <> 'inbound' then null
        when classified.body_keyword in (
            'STOP', 'STOPALL', 'UNSUBSCRIBE', 'END', 'QUIT', 'CANCEL', 'REVOKE', 'OPTOUT',
            'ARRET', 'ARRÊT', 'ARRETE'
        ) then 'opt_out'
        when classified.body_keyword in ('START', 'UNSTOP', 'YES') then 'opt_in'
    end as keyword_action,
    phones.person_id,
    classified.loaded_at
from classified
left join phones
    on classified.activist_e164 = phones.phone_e164
{% if is_incremental() %}
    where
        classified.loaded_at > {{ incremental_watermark() }}
        or classified.activist_e164 in ({{ people_loaded_since('phone_e164') }})
{% endif %}
