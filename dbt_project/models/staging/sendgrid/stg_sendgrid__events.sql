-- SendGrid events as landed, renamed and cleaned: one row per raw row. A
-- view: int_email_events counts each sg_event_id once (its first landed
-- copy) and stores it with its person, so 28M events are written once after
-- raw, not twice.
-- The columns the warehouse reads; the rest of the payload (sg_message_id,
-- category, url, reason: long strings) stays in raw.sendgrid_events.
select
    cast(sg_event_id as {{ dbt.type_string() }}) as sg_event_id,
    lower({{ blank_to_null('event') }}) as event_type,
    {{ blank_to_null('email') }} as email,
    lower({{ blank_to_null('email_norm') }}) as email_norm,
    cast(event_at as {{ dbt.type_timestamp() }}) as occurred_at,
    -- the custom arg; matched to campaigns.email_campaign_id
    {{ blank_to_null('campaign_id') }} as email_campaign_id,
    coalesce(cast(machine_open as {{ dbt.type_boolean() }}), false) as is_machine_open,
    lower({{ blank_to_null('bounce_type') }}) as bounce_type,
    -- the unsubscribe group of a group_unsubscribe / group_resubscribe
    cast(asm_group_id as {{ dbt.type_int() }}) as asm_group_id,
    _source_file as source_file,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
from {{ source('raw', 'sendgrid_events') }}
where sg_event_id is not null
