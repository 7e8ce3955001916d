{{ config(materialized='view') }}

-- Every landed event once (email events, text messages, call legs, Action
-- Network actions, attributed to a campaign or not), with
-- the person it matched (person_key; null = unmatched, kept and counted).
-- loaded_at: when the event first landed. A view over the event tables
-- (int_email_events, int_sms_messages, int_call_legs), which hold each
-- event once already: a copy of tens of millions of rows would add nothing.
-- event_type is the SendGrid event, the Twilio direction for texts and calls,
-- or the action's kind (signature, submission, attendance, outreach); an
-- action's identifier is the activist's uuid it names.
with

email as (

    select
        {{ dbt.concat(["'sg:'", "sg_event_id"]) }} as touchpoint_id,
        'sendgrid' as source,
        'email' as channel,
        event_type,
        occurred_at,
        person_key,
        coalesce(email_norm, email_as_logged) as identifier,
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
        person_key,
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
        person_key,
        identifier,
        false as is_machine_open,
        status,
        cast(null as {{ dbt.type_int() }}) as error_code,
        cast(null as {{ dbt.type_string() }}) as bounce_type,
        loaded_at
    from {{ ref('int_call_legs') }}

),

actions as (

    select
        {{ dbt.concat(["'an:'", "action_id"]) }} as touchpoint_id,
        'actionnetwork_actions' as source,
        'action' as channel,
        kind as event_type,
        occurred_at,
        person_key,
        person_id as identifier,
        false as is_machine_open,
        status,
        cast(null as {{ dbt.type_int() }}) as error_code,
        cast(null as {{ dbt.type_string() }}) as bounce_type,
        loaded_at
    from {{ ref('int_action_network_actions') }}

),

unioned as (

    select * from email
    union all
    select * from sms
    union all
    select * from calls
    union all
    select * from actions

)

select * from unioned
