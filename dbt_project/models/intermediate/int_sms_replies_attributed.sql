{{
    config(
        materialized=event_materialization(),
        unique_key=['message_sid', 'campaign_id'],
        incremental_strategy=upsert_strategy(),
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}

-- "replied": any inbound text from a phone (keywords included) after a
-- delivered/sent text of the campaign to that phone. It counts for every
-- campaign that so texted the phone.
-- loaded_at: when the reply became attributable (the later load of the
-- inbound text and the earliest-loaded text that qualifies it).
-- Incremental: every reply of a phone with an inbound text or a campaign
-- text loaded since the last build (a late text can qualify earlier
-- replies), or of a person loaded since, is worked out again from all of
-- the phone's texts.
with

inbound as (

    select * from {{ ref('int_sms_messages') }}
    where direction = 'inbound' and activist_e164 is not null

),

texts as (

    select * from {{ ref('int_sms_texts_attributed') }}

),


pairs as (

    select
        inbound.message_sid,
        texts.campaign_id,
        inbound.person_id,
        inbound.person_key,
        inbound.activist_e164,
        inbound.sent_at as occurred_at,
        case
            when texts.loaded_at > inbound.loaded_at then texts.loaded_at
            else inbound.loaded_at
        end as loaded_at
    from inbound
    inner join texts
        on
            inbound.activist_e164 = texts.activist_e164
            and inbound.sent_at > texts.occurred_at
    {% if is_incremental() %}
        where inbound.activist_e164 in (
            select changed.activist_e164 from inbound as changed
            where
                {{ new_or_rematched('changed.') }}
            union all
            select changed_texts.activist_e164 from texts as changed_texts
            where changed_texts.loaded_at > {{ incremental_watermark() }}
        )
    {% endif %}

)

select
    message_sid,
    campaign_id,
    person_id,
    person_key,
    activist_e164,
    occurred_at,
    min(loaded_at) as loaded_at
from pairs
group by message_sid, campaign_id, person_id, person_key, activist_e164, occurred_at
