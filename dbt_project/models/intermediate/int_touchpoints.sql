{{
    config(
        materialized='incremental',
        unique_key='touchpoint_id',
        incremental_strategy=upsert_strategy(),
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}

-- Every landed event once, in one shape: SendGrid events, Twilio messages
-- and Twilio call legs, each with the person it matched (null = unmatched)
-- and the identifier (email or phone) it was matched on.
-- Incremental: events loaded since the last build, and the events of
-- people loaded since (their earlier unmatched events may match now).
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
    {% if is_incremental() %}
        where
            {{ new_or_rematched() }}
    {% endif %}

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
    {% if is_incremental() %}
        where
            {{ new_or_rematched() }}
    {% endif %}

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
    {% if is_incremental() %}
        where
            {{ new_or_rematched() }}
    {% endif %}

),

unioned as (

    select * from email
    union all
    select * from sms
    union all
    select * from calls

)

select * from unioned
