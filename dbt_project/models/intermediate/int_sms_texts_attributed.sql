{{
    config(
        materialized=event_materialization(),
        unique_key=['message_sid', 'campaign_id'],
        incremental_strategy=upsert_strategy(),
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}

-- "texted": an outbound text with status delivered or sent, sent from the
-- campaign's sms_from_e164 with sms_sent_from <= sent_at < sms_sent_until
-- (a missing bound leaves that side open).
-- Incremental: the texts/calls loaded since the last build, and those of people
-- loaded since (campaigns.yml changes rebuild fully).
with

messages as (

    select * from {{ ref('int_sms_messages') }}
    {% if is_incremental() %}
        where
            {{ new_or_rematched() }}
    {% endif %}

),

campaigns as (

    select * from {{ ref('stg_campaigns__campaigns') }}

)

select
    messages.message_sid,
    campaigns.campaign_id,
    messages.person_id,
    messages.person_key,
    messages.activist_e164,
    messages.sent_at as occurred_at,
    messages.loaded_at
from messages
inner join campaigns
    on
        messages.from_e164 = campaigns.sms_from_e164
        and (campaigns.sms_sent_from is null or messages.sent_at >= campaigns.sms_sent_from)
        and (campaigns.sms_sent_until is null or messages.sent_at < campaigns.sms_sent_until)
where
    messages.is_outbound
    and messages.status in ('delivered', 'sent')
