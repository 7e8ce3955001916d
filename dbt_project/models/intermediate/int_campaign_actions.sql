{{ config(materialized='view') }}

-- Every attributed action of a matched person on a campaign, one row per
-- (touchpoint, campaign). Unmatched events stay only in touchpoints.
-- A view: marts/campaign_touchpoints materializes it once (incrementally).
with

email_actions as (

    select
        {{ dbt.concat(["'sg:'", "sg_event_id"]) }} as touchpoint_id,
        campaign_id,
        person_id,
        action,
        occurred_at,
        is_machine_open,
        loaded_at
    from {{ ref('int_email_events_attributed') }}

),

texts as (

    select
        {{ dbt.concat(["'sms:'", "message_sid"]) }} as touchpoint_id,
        campaign_id,
        person_id,
        'texted' as action,
        occurred_at,
        false as is_machine_open,
        loaded_at
    from {{ ref('int_sms_texts_attributed') }}

),

replies as (

    select
        {{ dbt.concat(["'sms:'", "message_sid"]) }} as touchpoint_id,
        campaign_id,
        person_id,
        'replied' as action,
        occurred_at,
        false as is_machine_open,
        loaded_at
    from {{ ref('int_sms_replies_attributed') }}

),

calls as (

    select
        {{ dbt.concat(["'call:'", "call_sid"]) }} as touchpoint_id,
        campaign_id,
        person_id,
        'called' as action,
        occurred_at,
        false as is_machine_open,
        loaded_at
    from {{ ref('int_calls_attributed') }}

),

unioned as (

    select * from email_actions
    union all
    select * from texts
    union all
    select * from replies
    union all
    select * from calls

)

select * from unioned
where
    person_id is not null
