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

renamed as (

    select
        cast(sg_event_id as {{ dbt.type_string() }}) as sg_event_id,
        lower({{ blank_to_null('event') }}) as event_type,
        {{ blank_to_null('email') }} as email,
        lower({{ blank_to_null('email_norm') }}) as email_norm,
        cast(event_at as {{ dbt.type_timestamp() }}) as occurred_at,
        {{ blank_to_null('sg_message_id') }} as sg_message_id,
        -- the custom arg; matched to campaigns.email_campaign_id
        {{ blank_to_null('campaign_id') }} as email_campaign_id,
        {{ blank_to_null('category') }} as category,
        {{ blank_to_null('url') }} as url,
        coalesce(cast(machine_open as {{ dbt.type_boolean() }}), false) as is_machine_open,
        {{ blank_to_null('reason') }} as reason,
        lower({{ blank_to_null('bounce_type') }}) as bounce_type,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at

    from deduplicated

)

select * from renamed
