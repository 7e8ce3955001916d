{{
    config(
        materialized='incremental',
        unique_key='sg_event_id',
        incremental_strategy='append',
    )
}}

with

deduplicated as (

    {{ first_landed_copies(source('raw', 'sendgrid_events'), 'sg_event_id', 'sg_event_id') }}

),

-- The columns the warehouse reads; the rest of the payload (sg_message_id,
-- category, url, reason: long strings) stays in raw.sendgrid_events and is
-- not copied again for tens of millions of events.
renamed as (

    select
        cast(sg_event_id as {{ dbt.type_string() }}) as sg_event_id,
        lower({{ blank_to_null('event') }}) as event_type,
        {{ blank_to_null('email') }} as email,
        lower({{ blank_to_null('email_norm') }}) as email_norm,
        cast(event_at as {{ dbt.type_timestamp() }}) as occurred_at,
        -- the custom arg; matched to campaigns.email_campaign_id
        {{ blank_to_null('campaign_id') }} as email_campaign_id,
        coalesce(cast(machine_open as {{ dbt.type_boolean() }}), false) as is_machine_open,
        lower({{ blank_to_null('bounce_type') }}) as bounce_type,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at

    from deduplicated

)

select * from renamed
