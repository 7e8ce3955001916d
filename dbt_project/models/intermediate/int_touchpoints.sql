{{ config(materialized='view') }}

-- Every landed event once, in one shape: SendGrid events, Twilio messages
-- and Twilio call legs, each with the person it matched (null = unmatched)
-- and the identifier (email or phone) it was matched on.
-- A view: marts/touchpoints materializes it once, and on an incremental
-- build reads from it only what is new (the filter reaches the tables).
with

email as (

    select
        {{ dbt.concat(["'sg:'", "sg_event_id"]) }} as touchpoint_id,
        'sendgrid' as source,
        'email' as channel,
        event_type,
        occurred_at,
        person_id,
        identifier,
        is_machine_open,
        cast(null as {{ dbt.type_string() }}) as status,
        cast(null as {{ dbt.type_int() }}) as error_code,
        bounce_type,
        loaded_at
    from {{ ref('int_email_events') }}

),

sms as (

    select
        {{ dbt.concat(["'sms:'", "message_sid"]) }} as touchpoint_id,
        'twilio_messages' as source,
        'sms' as channel,
        direction as event_type,
        sent_at as occurred_at,
        person_id,
        identifier,
        false as is_machine_open,
        status,
        error_code,
        cast(null as {{ dbt.type_string() }}) as bounce_type,
        loaded_at
    from {{ ref('int_sms_messages') }}

),

calls as (

    select
        {{ dbt.concat(["'call:'", "call_sid"]) }} as touchpoint_id,
        'twilio_calls' as source,
        'call' as channel,
        direction as event_type,
        started_at as occurred_at,
        person_id,
        identifier,
        false as is_machine_open,
        status,
        cast(null as {{ dbt.type_int() }}) as error_code,
        cast(null as {{ dbt.type_string() }}) as bounce_type,
        loaded_at
    from {{ ref('int_call_legs') }}

),

unioned as (

    select * from email
    union all
    select * from sms
    union all
    select * from calls

)

select * from unioned
