{{
    config(
        materialized='incremental',
        unique_key='message_sid',
        incremental_strategy='append',
    )
}}

with

deduplicated as (

    {{ first_landed_copies(source('raw', 'twilio_messages'), 'sid', 'message_sid') }}

),

renamed as (

    select
        cast(sid as {{ dbt.type_string() }}) as message_sid,
        lower({{ blank_to_null('direction') }}) as direction,
        lower({{ blank_to_null('status') }}) as status,
        {{ blank_to_null('from_number') }} as from_number,
        {{ blank_to_null('to_number') }} as to_number,
        {{ blank_to_null('from_e164') }} as from_e164,
        {{ blank_to_null('to_e164') }} as to_e164,
        body,
        cast(sent_at as {{ dbt.type_timestamp() }}) as sent_at,
        cast(num_segments as {{ dbt.type_int() }}) as num_segments,
        cast(error_code as {{ dbt.type_int() }}) as error_code,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at

    from deduplicated

)

select * from renamed
