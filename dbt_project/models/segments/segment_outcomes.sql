-- One row per segment x person who ever entered the segment, in their arm
-- (assigned once, never reshuffled). The follow-up window opens when the
-- person first entered the segment (the build that first exported them) and
-- closes outcome_window_days x 24 h later, both ends included. converted:
-- the segment's outcome (DESIGN's meaning of `called`, `clicked`, ... for the
-- outcome campaign; `opened` is human opens, the action's own meaning;
-- `acted` any of signed, submitted, rsvped, wrote or called: the actions
-- marts.action_meanings lists for the meaning) happened inside it.
with

definitions as (

    select
        segment_id,
        outcome_campaign_id,
        outcome_event,
        outcome_window_days
    from {{ source('segments', 'definitions') }}

),

entries as (

    select
        segment_id,
        person_id,
        min(arm) as arm,
        min(valid_from) as entered_at
    from {{ source('segments', 'membership') }}
    group by segment_id, person_id

),

windows as (

    select
        entries.segment_id,
        entries.person_id,
        entries.arm,
        entries.entered_at,
        definitions.outcome_campaign_id,
        definitions.outcome_event,
        {{ dbt.dateadd('day', 'definitions.outcome_window_days', 'entries.entered_at') }} as window_ends_at
    from entries
    inner join definitions on entries.segment_id = definitions.segment_id

),

outcomes as (

    select
        windows.segment_id,
        windows.person_id,
        min(actions.occurred_at) as first_outcome_at
    from windows
    inner join {{ ref('people') }} as people
        on windows.person_id = people.person_id
    inner join {{ ref('action_meanings') }} as meanings
        on windows.outcome_event = meanings.meaning
    inner join {{ ref('campaign_touchpoints') }} as actions
        on
            people.person_key = actions.person_key
            and windows.outcome_campaign_id = actions.campaign_id
            and meanings.action = actions.action
            and windows.entered_at <= actions.occurred_at
            and windows.window_ends_at >= actions.occurred_at
    group by windows.segment_id, windows.person_id

)

select
    windows.segment_id,
    windows.person_id,
    windows.arm,
    windows.entered_at,
    windows.window_ends_at,
    outcomes.first_outcome_at,
    outcomes.first_outcome_at is not null as converted
from windows
left join outcomes
    on
        windows.segment_id = outcomes.segment_id
        and windows.person_id = outcomes.person_id
