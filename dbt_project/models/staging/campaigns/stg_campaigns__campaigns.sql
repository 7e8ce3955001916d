with

source as (

    select * from {{ source('raw', 'campaigns') }}

),

renamed as (

    select
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        {{ blank_to_null('name_en') }} as name_en,
        {{ blank_to_null('name_fr') }} as name_fr,
        lower({{ blank_to_null('ask') }}) as ask,
        cast(starts as date) as starts,
        {{ blank_to_null('email_campaign_id') }} as email_campaign_id,
        {{ blank_to_null('sms_from_e164') }} as sms_from_e164,
        cast(sms_sent_from as {{ dbt.type_timestamp() }}) as sms_sent_from,
        cast(sms_sent_until as {{ dbt.type_timestamp() }}) as sms_sent_until,
        -- DESIGN: min_call_seconds defaults to 1
        coalesce(cast(min_call_seconds as {{ dbt.type_int() }}), 1) as min_call_seconds,
        {{ blank_to_null('follow_up_of') }} as follow_up_of

    from source

)

-- campaign_key: the campaign's integer key, its place in campaign_id order.
-- Stable between incremental builds (a changed campaigns.yml rebuilds
-- everything), so the event facts group and sort on it, not on the string.
select
    cast(row_number() over (order by campaign_id) as {{ dbt.type_int() }}) as campaign_key,
    *
from renamed
