-- "replied": any inbound text from a phone (keywords included) after a
-- delivered/sent text of the campaign to that phone. It counts for every
-- campaign that so texted the phone.
with

inbound as (

    select * from {{ ref('int_sms_messages') }}
    where direction = 'inbound' and activist_e164 is not null

),

texts as (

    select * from {{ ref('int_sms_texts_attributed') }}

)

select distinct
    inbound.message_sid,
    texts.campaign_id,
    inbound.person_id,
    inbound.activist_e164,
    inbound.sent_at as occurred_at
from inbound
inner join texts
    on
        inbound.activist_e164 = texts.activist_e164
        and inbound.sent_at > texts.occurred_at
