with

source as (

    select * from {{ source('raw', 'people') }}

),

renamed as (

    select
        cast(person_id as {{ dbt.type_string() }}) as person_id,
        -- the integer every event and fact table carries (the uuid stays in marts.people)
        {{ person_key('person_id') }} as person_key,
        {{ blank_to_null('first_name') }} as first_name,
        {{ blank_to_null('last_name') }} as last_name,
        {{ blank_to_null('email') }} as email,
        lower({{ blank_to_null('email_norm') }}) as email_norm,
        {{ blank_to_null('phone') }} as phone,
        {{ blank_to_null('phone_e164') }} as phone_e164,
        {{ blank_to_null('zip_code') }} as zip_code,
        upper({{ blank_to_null('postal_code') }}) as postal_code,
        upper({{ blank_to_null('zip_state') }}) as zip_state,
        {{ blank_to_null('city') }} as city,
        upper({{ blank_to_null('state_abbr') }}) as state_abbr,
        upper({{ blank_to_null('country') }}) as country,
        lower({{ blank_to_null('subscription_status') }}) as email_subscription_status,
        lower({{ blank_to_null('sms_status') }}) as sms_subscription_status,
        {{ blank_to_null('affiliate') }} as affiliate,
        lower({{ blank_to_null('language') }}) as language,
        {{ blank_to_null('federal_district') }} as federal_district,
        {{ blank_to_null('state_district') }} as state_district,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at

    from source

)

select * from renamed
