-- Attributed actions per week and affiliate, for the leadership overview:
-- opens are human opens only; a text, reply or call that counts for several
-- campaigns counts once here. Summed over affiliates it is the whole
-- federation's week (each person has one affiliate).
with

actions as (

    select
        touchpoints.touchpoint_id,
        touchpoints.action,
        cast({{ dbt.date_trunc('week', 'touchpoints.occurred_at') }} as date) as week,
        people.affiliate
    from {{ ref('campaign_touchpoints') }} as touchpoints
    inner join {{ ref('people') }} as people
        on touchpoints.person_id = people.person_id
    where
        touchpoints.action in ('delivered', 'opened', 'clicked', 'texted', 'replied', 'called')
        and not (touchpoints.action = 'opened' and touchpoints.is_machine_open)

),

-- An email event belongs to one campaign's email: counted as is.
email as (

    select
        week,
        affiliate,
        action,
        count(*) as actions
    from actions
    where action in ('delivered', 'opened', 'clicked')
    group by week, affiliate, action

),

-- Texts, replies and calls can count for several campaigns: once each here.
sms_and_calls as (

    select
        week,
        affiliate,
        action,
        count(distinct touchpoint_id) as actions
    from actions
    where action in ('texted', 'replied', 'called')
    group by week, affiliate, action

)

select * from email
union all
select * from sms_and_calls
