with

source as (

    select * from {{ source('raw', 'campaign_call_numbers') }}

),

renamed as (

    select distinct
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        {{ blank_to_null('number_e164') }} as number_e164

    from source
    where {{ blank_to_null('number_e164') }} is not null

)

select * from renamed
