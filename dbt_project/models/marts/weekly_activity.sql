-- Attributed actions per week and affiliate, for the leadership overview:
-- opens are human opens only; a text, reply or call that counts for several
-- campaigns counts once here (an email event belongs to one campaign's
-- email, so email actions are counted as they are). Summed over affiliates
-- it is the whole federation's week (each person has one affiliate).
-- One pass over the actions: a CTE read twice would be copied whole.
with

weekly as (

    select
        cast({{ dbt.date_trunc('week', 'touchpoints.occurred_at') }} as date) as week,
        people.affiliate,
        touchpoints.action,
        count(*) as rows_,
        count(distinct case
            when touchpoints.action in ('texted', 'replied', 'called') then touchpoints.touchpoint_id
        end) as distinct_touchpoints
    from {{ ref('campaign_touchpoints') }} as touchpoints
    inner join {{ ref('people') }} as people
        on touchpoints.person_id = people.person_id
    where
        touchpoints.action in ('delivered', 'opened', 'clicked', 'texted', 'replied', 'called')
        and not (touchpoints.action = 'opened' and touchpoints.is_machine_open)
    group by week, people.affiliate, touchpoints.action

)

select
    week,
    affiliate,
    action,
    case
        when action in ('texted', 'replied', 'called') then distinct_touchpoints else rows_
    end as actions
from weekly
