-- campaigns.yml `actions:`: one row per Action Network page a campaign lists
-- (a page two campaigns list counts for both).
with

source as (

    select * from {{ source('raw', 'campaign_actions') }}

),

renamed as (

    select distinct
        cast(campaign_id as {{ dbt.type_string() }}) as campaign_id,
        lower({{ blank_to_null('page_kind') }}) as page_kind,
        {{ blank_to_null('page_id') }} as page_id

    from source
    where {{ blank_to_null('page_id') }} is not null

)

select * from renamed
