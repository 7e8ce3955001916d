-- The campaign registry, as campaigns.yml declares it.
select
    campaign_key,
    campaign_id,
    name_en,
    name_fr,
    ask,
    starts,
    email_campaign_id,
    sms_from_e164,
    sms_sent_from,
    sms_sent_until,
    min_call_seconds,
    follow_up_of
from {{ ref('stg_campaigns__campaigns') }}
