{{
    config(
        materialized='incremental',
        unique_key='call_sid',
        incremental_strategy='append',
    )
}}

-- Incremental: a later build appends the events of the rows loaded since
-- the latest one kept here, minus ids already kept (a repeat landed later
-- never replaces the first loaded copy).
with

source as (

    select * from {{ source('raw', 'twilio_calls') }}
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
                partition by sid
                order by _loaded_at, _source_file
            ) as copy_number
        from source
    ) as numbered
    where
        copy_number = 1
        {% if is_incremental() %}
            and sid not in (
                select kept.call_sid from {{ this }} as kept
                where kept.call_sid is not null
            )
        {% endif %}

),

renamed as (

    select
        cast(sid as {{ dbt.type_string() }}) as call_sid,
        {{ blank_to_null('parent_call_sid') }} as parent_call_sid,
        lower({{ blank_to_null('direction') }}) as direction,
        lower({{ blank_to_null('status') }}) as status,
        {{ blank_to_null('from_number') }} as from_number,
        {{ blank_to_null('to_number') }} as to_number,
        {{ blank_to_null('from_e164') }} as from_e164,
        {{ blank_to_null('to_e164') }} as to_e164,
        cast(started_at as {{ dbt.type_timestamp() }}) as started_at,
        cast(ended_at as {{ dbt.type_timestamp() }}) as ended_at,
        cast(duration_seconds as {{ dbt.type_int() }}) as duration_seconds,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at

    from deduplicated

)

select * from renamed
