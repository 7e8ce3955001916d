{{
    config(
        materialized=event_materialization(),
        incremental_strategy='append',
        pre_hook=[
            "{{ create_ladder_first_days() }}",
            "{{ record_ladder_first_day() }}",
            "{{ delete_ladder_rows() }}",
        ],
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}
-- depends_on: {{ ref('stg_action_network__actions') }}
-- Built after the funnel, not read: why in docs/contract.md (marts).
-- depends_on: {{ ref('person_campaign_funnel') }}

-- The engagement ladder (DESIGN, "Meanings"): every person's rung on every
-- kept day (int_ladder_days: each month's end and today). The rule, here
-- and nowhere else: the highest rung reached in the 90 whole UTC days
-- ending on the day, from the touchpoints attributed to any campaign
-- (marts.campaign_touchpoints):
--   repeat_actor  2+ distinct actions that together count for 2+ different
--                 campaigns (a call counting for a campaign and its
--                 follow-up is one action, for two campaigns)
--   actor         acted (macros/meanings.sql: signed, submitted, rsvped,
--                 wrote or called)
--   clicker       clicked
--   opener        opened (a human open; a machine open is its own action)
--   listed        in the people export, none of the above
--   unreachable   replaces listed, today only, when the person is reachable
--                 by neither email nor SMS now (marts.reachability)
-- A daily build writes every person's rows on a day not held yet (today,
-- a month just ended) and the rows of the people whose touchpoints changed,
-- from the first day a change can reach (macros/ladder.sql); a full build
-- writes them all.

{%- set acted = [] %}
{%- for meaning, kinds in funnel_meanings() if meaning == 'acted' %}
    {%- do acted.extend(kinds) %}
{%- endfor %}

with

days as (

    select * from {{ ref('int_ladder_days') }}

),

{% if is_incremental() %}
    changed as (

        {{ ladder_changed_people() }}

    ),

    held as (

        select coalesce(max(ladder_day), cast('1900-01-01' as date)) as held_through
        from {{ this }}
        where not is_today

    ),
{% endif %}

-- which days to write, and whether for everyone or the changed people only
targets as (

    select
        days.ladder_day,
        days.is_today,
        days.window_start,
        {% if is_incremental() -%}
            (not days.is_today and days.ladder_day <= held.held_through)
        {%- else -%}
            false
        {%- endif %} as changed_only
    from days
    {% if is_incremental() %}
        cross join held
    {% endif %}

),

{% if is_incremental() %}
    -- the (person, held day) pairs written again: a changed person from their from_day
    changed_days as (

        select
            changed.person_key,
            targets.ladder_day,
            targets.is_today,
            targets.window_start
        from changed
        inner join targets
            on
                changed.from_day <= targets.ladder_day
                and targets.changed_only

    ),
{% endif %}

-- opens and clicks lift a person to opener or clicker: the highest per
-- person and UTC day first (far fewer rows than the events)
email_days as (

    select
        person_key,
        cast(occurred_at as date) as event_day,
        max(case when action = 'clicked' then {{ rung('clicker') }} else {{ rung('opener') }} end) as lift
    from {{ ref('campaign_touchpoints') }}
    where
        action in ('opened', 'clicked')
        {% if is_incremental() %}
            and {{ ladder_events_read() }}
        {% endif %}
    group by person_key, cast(occurred_at as date)

),

-- the actions (acted: macros/meanings.sql), each with every campaign it counts for
actions as (

    select
        person_key,
        touchpoint_id,
        campaign_key,
        cast(occurred_at as date) as event_day
    from {{ ref('campaign_touchpoints') }}
    where
        action in ('{{ acted | join("', '") }}')
        {% if is_incremental() %}
            and {{ ladder_events_read() }}
        {% endif %}

),

email_reached as (

    select
        targets.ladder_day,
        email_days.person_key,
        max(email_days.lift) as lift
    from email_days
    inner join targets
        on
            email_days.event_day >= targets.window_start
            and email_days.event_day <= targets.ladder_day
    {% if is_incremental() %}
        where not targets.changed_only
    {% endif %}
    group by targets.ladder_day, email_days.person_key
    {% if is_incremental() %}

        union all

        -- a changed person's held days, apart (no one else's are read again)
        select
            changed_days.ladder_day,
            email_days.person_key,
            max(email_days.lift) as lift
        from changed_days
        inner join email_days
            on
                changed_days.person_key = email_days.person_key
                and changed_days.window_start <= email_days.event_day
                and changed_days.ladder_day >= email_days.event_day
        group by changed_days.ladder_day, email_days.person_key
    {% endif %}

),

actions_reached as (

    select
        targets.ladder_day,
        actions.person_key,
        count(distinct actions.touchpoint_id) as actions,
        count(distinct actions.campaign_key) as action_campaigns
    from actions
    inner join targets
        on
            actions.event_day >= targets.window_start
            and actions.event_day <= targets.ladder_day
    {% if is_incremental() %}
        where not targets.changed_only
    {% endif %}
    group by targets.ladder_day, actions.person_key
    {% if is_incremental() %}

        union all

        select
            changed_days.ladder_day,
            actions.person_key,
            count(distinct actions.touchpoint_id) as actions,
            count(distinct actions.campaign_key) as action_campaigns
        from changed_days
        inner join actions
            on
                changed_days.person_key = actions.person_key
                and changed_days.window_start <= actions.event_day
                and changed_days.ladder_day >= actions.event_day
        group by changed_days.ladder_day, actions.person_key
    {% endif %}

),

people_days as (

    select
        people.person_key,
        targets.ladder_day,
        targets.is_today
    from {{ ref('people') }} as people
    cross join targets
    {% if is_incremental() %}
        where not targets.changed_only

        union all

        select
            changed_days.person_key,
            changed_days.ladder_day,
            changed_days.is_today
        from changed_days
        inner join {{ ref('people') }} as people
            on changed_days.person_key = people.person_key
    {% endif %}

)

select
    people_days.person_key,
    people_days.ladder_day,
    people_days.is_today,
    cast(case
        when actions_reached.actions >= 2 and actions_reached.action_campaigns >= 2
            then {{ rung('repeat_actor') }}
        when actions_reached.actions >= 1 then {{ rung('actor') }}
        when email_reached.lift is not null then email_reached.lift
        when people_days.is_today and not (reachability.reachable_email or reachability.reachable_sms)
            then {{ rung('unreachable') }}
        else {{ rung('listed') }}
    end as {{ dbt.type_int() }}) as rung
from people_days
left join actions_reached
    on
        people_days.person_key = actions_reached.person_key
        and people_days.ladder_day = actions_reached.ladder_day
left join email_reached
    on
        people_days.person_key = email_reached.person_key
        and people_days.ladder_day = email_reached.ladder_day
left join {{ ref('reachability') }} as reachability
    on people_days.person_key = reachability.person_key
-- Stored by day: a question about one day reads one slice.
order by people_days.ladder_day, rung
