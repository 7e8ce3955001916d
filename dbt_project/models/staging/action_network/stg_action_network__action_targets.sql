-- The targets of each outreach (an MP, a senator), one row per target.
with

source as (

    select * from {{ source('raw', 'actionnetwork_action_targets') }}

),

renamed as (

    select
        cast(action_id as {{ dbt.type_string() }}) as action_id,
        cast(target_index as {{ dbt.type_int() }}) as target_index,
        {{ blank_to_null('title') }} as title,
        {{ blank_to_null('given_name') }} as given_name,
        {{ blank_to_null('family_name') }} as family_name,
        -- e.g. ocd-division/country:ca/ed:35075 (a Canadian riding)
        {{ blank_to_null('ocdid') }} as ocdid,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at

    from source
    where action_id is not null

)

select * from renamed
