-- People at each step of each campaign, per affiliate: the funnel's counts
-- for the overview's campaigns side by side (summed over affiliates: the
-- whole federation). Opened = human opens; acted = signed, submitted,
-- rsvped, wrote or called (the funnel's first_acted_at). The affiliate is
-- the one the funnel row carries (the person's, from marts.people).
select
    campaign_id,
    affiliate,
    count(first_delivered_at) as delivered,
    count(first_opened_at) as opened,
    count(first_clicked_at) as clicked,
    count(first_texted_at) as texted,
    count(first_called_at) as called,
    count(first_signed_at) as signed,
    count(first_submitted_at) as submitted,
    count(first_rsvped_at) as rsvped,
    count(first_wrote_at) as wrote,
    count(first_acted_at) as acted
from {{ ref('person_campaign_funnel') }}
group by campaign_id, affiliate
