-- Action Network actions, renamed and typed: one row per action (ingest keeps
-- each action_id once, its latest modified copy). kind: signature,
-- submission, attendance or outreach; the page is (page_kind, page_id).
with

source as (

    select * from {{ source('raw', 'actionnetwork_actions') }}

),

renamed as (

    select
        cast(action_id as {{ dbt.type_string() }}) as action_id,
        lower({{ blank_to_null('kind') }}) as kind,
        lower({{ blank_to_null('page_kind') }}) as page_kind,
        {{ blank_to_null('page_id') }} as page_id,
        {{ blank_to_null('person_id') }} as person_id,
        -- when the member acted (created_date)
        cast(acted_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast(modified_at as {{ dbt.type_timestamp() }}) as modified_at,
        -- attendances only: accepted, tentative, declined, needs action
        lower({{ blank_to_null('status') }}) as status,
        lower({{ blank_to_null('outreach_type') }}) as outreach_type,
        cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at

    from source
    where action_id is not null

)

select * from renamed
