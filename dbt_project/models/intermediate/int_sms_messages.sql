{{
    config(
        materialized=event_materialization(),
        unique_key='message_sid',
        incremental_strategy=upsert_strategy(),
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}

-- Every Twilio message once (the first landed copy of its sid), with the
-- activist's phone (the recipient of an outbound text, the sender of an
-- inbound one), the person it matches, and the opt-out / opt-in keyword an
-- inbound body is. The keyword is classified once, at ingest
-- (pipelines/lib/ingest.py keyword_of: NFKC, case-folded, surrounding
-- spaces and punctuation ignored), which SQL cannot do.
-- Incremental: messages landed since the last build (a repeat of a message
-- already kept never replaces it), and messages already kept to or from a
-- phone of a person loaded since, matched again.

with

landed as (

    {{ first_landed_copies(
        ref('stg_twilio__messages'), 'message_sid', 'message_sid',
        loaded_at='loaded_at', source_file='source_file'
    ) }}

),

phones as (

    select * from {{ ref('int_person_phones') }}

),

classified as (

    select
        message_sid,
        direction,
        coalesce(direction like 'outbound%', false) as is_outbound,
        status,
        sent_at,
        from_e164,
        to_e164,
        case
            when direction = 'inbound' then from_e164
            when direction like 'outbound%' then to_e164
        end as activist_e164,
        from_number,
        to_number,
        body,
        error_code,
        keyword_action,
        loaded_at
    from landed

),

keyed as (

    select
        message_sid,
        direction,
        is_outbound,
        status,
        sent_at,
        from_e164,
        to_e164,
        activist_e164,
        coalesce(activist_e164, case when is_outbound then to_number else from_number end) as identifier,
        body,
        error_code,
        case when direction = 'inbound' then keyword_action end as keyword_action,
        loaded_at
    from classified

    {% if is_incremental() and people_reloaded() %}
        union all

        select
            message_sid,
            direction,
            is_outbound,
            status,
            sent_at,
            from_e164,
            to_e164,
            activist_e164,
            identifier,
            body,
            error_code,
            keyword_action,
            loaded_at
        from {{ this }}
        where activist_e164 in ({{ people_loaded_since('phone_e164') }})
    {% endif %}

)

select
    keyed.message_sid,
    keyed.direction,
    keyed.is_outbound,
    keyed.status,
    keyed.sent_at,
    keyed.from_e164,
    keyed.to_e164,
    keyed.activist_e164,
    keyed.identifier,
    keyed.body,
    keyed.error_code,
    keyed.keyword_action,
    phones.person_id,
    phones.person_key,
    keyed.loaded_at
from keyed
left join phones
    on keyed.activist_e164 = phones.phone_e164
