{{
    config(
        materialized='incremental',
        unique_key='touchpoint_id',
        incremental_strategy=upsert_strategy(),
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}

-- Every landed event once (email events, text messages, call legs), with
-- the person it matched; person_id null = unmatched, kept and counted.
-- loaded_at: when the event first landed. Incremental: events loaded since
-- the last build, and the events of people loaded since.
select
    touchpoint_id,
    source,
    channel,
    event_type,
    occurred_at,
    person_id,
    identifier,
    is_machine_open,
    status,
    error_code,
    bounce_type,
    loaded_at
from {{ ref('int_touchpoints') }}
{% if is_incremental() %}
    where
        {{ new_or_rematched() }}
{% endif %}
