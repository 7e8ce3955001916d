{{
    config(
        materialized='incremental',
        unique_key='sg_event_id',
        incremental_strategy='append',
    )
}}

-- Incremental: a later build appends the events of the rows loaded since
-- the latest one kept here, minus ids already kept (a repeat landed later
-- never replaces the first loaded copy).
with

source as (

    select * from {{ source('raw', 'sendgrid_events') }}
    {% if is_incremental() %}
        where _loaded_at > {{ incremental_watermark() }}
    {% endif %}

),

-- A webhook post or log export landed twice holds the same events again:
-- raw keeps every landed row, and the first copy loaded is the one counted.
deduplicated as (

    select * from (
        select
            *,
            row_number() over (
                partition by sg_event_id
                order by _loaded_at, _source_file
            ) as copy_number
        from source
    ) as numbered
    where
        copy_number = 1
        {% if is_incremental() %}
            and sg_event_id not in (
                select kept.sg_event_id from {{ this }} as kept
                where kept.sg_event_id is not null
            )
        {% endif %}

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
