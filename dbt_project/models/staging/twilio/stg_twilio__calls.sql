{{
    config(
        materialized=event_materialization(spark='incremental'),
        unique_key='call_sid',
        incremental_strategy='append',
    )
}}

with

deduplicated as (

    {{ first_landed_copies(source('raw', 'twilio_calls'), 'sid', 'call_sid') }}

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
