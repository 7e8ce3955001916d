-- People at each step of each campaign, per affiliate: the funnel's counts
-- for the overview's campaigns side by side (summed over affiliates: the
-- whole federation). Opened = human opens; acted = signed, submitted,
-- rsvped, wrote or called (the funnel's first_acted_at).
select
    funnel.campaign_id,
    people.affiliate,
    count(funnel.first_delivered_at) as delivered,
    count(funnel.first_opened_at) as opened,
    count(funnel.first_clicked_at) as clicked,
    count(funnel.first_texted_at) as texted,
    count(funnel.first_called_at) as called,
    count(funnel.first_signed_at) as signed,
    count(funnel.first_submitted_at) as submitted,
    count(funnel.first_rsvped_at) as rsvped,
    count(funnel.first_wrote_at) as wrote,
    count(funnel.first_acted_at) as acted
from {{ ref('person_campaign_funnel') }} as funnel
inner join {{ ref('people') }} as people
    on funnel.person_key = people.person_key
group by funnel.campaign_id, people.affiliate
