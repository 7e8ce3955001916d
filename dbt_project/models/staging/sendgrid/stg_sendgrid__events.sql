-- SendGrid events, renamed and typed: one row per event. Ingest keeps each
-- sg_event_id once (its first landed copy) and only the fields the warehouse
-- reads, so this view is the one copy of the events every model reads.
-- event and email_norm are used as ingest wrote them (docs/contract.md: a
-- known event name, lower case; the address trimmed and lower-cased, or
-- null): a filter on them, or on loaded_at, reaches the table scan, where
-- the engine skips what it need not read.
select
    cast(sg_event_id as {{ dbt.type_string() }}) as sg_event_id,
    event as event_type,
    email_norm,
    {{ blank_to_null('email_as_logged') }} as email_as_logged,
    cast(event_at as {{ dbt.type_timestamp() }}) as occurred_at,
    -- the custom arg; matched to campaigns.email_campaign_id
    {{ blank_to_null('campaign_id') }} as email_campaign_id,
    coalesce(cast(machine_open as {{ dbt.type_boolean() }}), false) as is_machine_open,
    lower({{ blank_to_null('bounce_type') }}) as bounce_type,
    -- the unsubscribe group of a group_unsubscribe / group_resubscribe
    cast(asm_group_id as {{ dbt.type_int() }}) as asm_group_id,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
from {{ source('raw', 'sendgrid_events') }}
where sg_event_id is not null
