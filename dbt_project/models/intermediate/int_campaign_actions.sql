{{ config(materialized='view') }}

-- Every attributed action of a matched person on a campaign, one row per
-- (touchpoint, campaign). Unmatched events stay only in touchpoints.
-- touchpoint_id names the texts, replies, calls and Action Network actions
-- (one can count for several campaigns, and the overview counts it once); an email
-- event belongs to its campaign's email only and carries none (writing 28M
-- ids again would cost as much as the events).
-- campaign_key: the campaign's integer key (stg_campaigns__campaigns), which
-- the facts group and sort on; the email events bring theirs from their own
-- join to the campaigns, the others (a few beside them) join here.
-- A view: marts/campaign_touchpoints materializes it once (incrementally).
with

campaigns as (

    select * from {{ ref('stg_campaigns__campaigns') }}

),

email_actions as (

    select
        cast(null as {{ dbt.type_string() }}) as touchpoint_id,
        campaign_key,
        campaign_id,
        person_key,
        action,
        occurred_at,
        loaded_at
    from {{ ref('int_email_events_attributed') }}

),

texts as (

    select
        {{ dbt.concat(["'sms:'", "message_sid"]) }} as touchpoint_id,
        campaign_id,
        person_key,
        'texted' as action,
        occurred_at,
        loaded_at
    from {{ ref('int_sms_texts_attributed') }}

),

replies as (

    select
        {{ dbt.concat(["'sms:'", "message_sid"]) }} as touchpoint_id,
        campaign_id,
        person_key,
        'replied' as action,
        occurred_at,
        loaded_at
    from {{ ref('int_sms_replies_attributed') }}

),

calls as (

    select
        {{ dbt.concat(["'call:'", "call_sid"]) }} as touchpoint_id,
        campaign_id,
        person_key,
        'called' as action,
        occurred_at,
        loaded_at
    from {{ ref('int_calls_attributed') }}

),

actions as (

    select
        {{ dbt.concat(["'an:'", "action_id"]) }} as touchpoint_id,
        campaign_id,
        person_key,
        action,
        occurred_at,
        loaded_at
    from {{ ref('int_action_network_actions_attributed') }}
    where action is not null

),

others as (

    select * from texts
    union all
    select * from replies
    union all
    select * from calls
    union all
    select * from actions

),

unioned as (

    select * from email_actions
    union all
    select
        others.touchpoint_id,
        campaigns.campaign_key,
        others.campaign_id,
        others.person_key,
        others.action,
        others.occurred_at,
        others.loaded_at
    from others
    inner join campaigns
        on others.campaign_id = campaigns.campaign_id

)

select * from unioned
where
    person_key is not null
