-- One row per person x campaign with any attributed action: the first time
-- of each action. first_opened_at counts human opens only;
-- first_opened_any_at counts machine (privacy-proxy) opens too.
select
    person_id,
    campaign_id,
    min(case when action = 'delivered' then occurred_at end) as first_delivered_at,
    min(case when action = 'opened' and not is_machine_open then occurred_at end)
        as first_opened_at,
    min(case when action = 'opened' then occurred_at end) as first_opened_any_at,
    min(case when action = 'clicked' then occurred_at end) as first_clicked_at,
    min(case when action = 'bounced' then occurred_at end) as first_bounced_at,
    min(case when action = 'unsubscribed' then occurred_at end) as first_unsubscribed_at,
    min(case when action = 'texted' then occurred_at end) as first_texted_at,
    min(case when action = 'replied' then occurred_at end) as first_replied_at,
    min(case when action = 'called' then occurred_at end) as first_called_at
from {{ ref('int_campaign_actions') }}
group by person_id, campaign_id
