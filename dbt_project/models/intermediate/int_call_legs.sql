{{
    config(
        materialized=event_materialization(),
        unique_key='call_sid',
        incremental_strategy=upsert_strategy(),
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}

-- Every Twilio call leg with the activist's phone: the caller of an inbound
-- (hotline) leg, the callee of an outbound-api leg, and for an outbound-dial
-- child leg (patch-through to a target office) the activist of its parent.
-- loaded_at: when the leg was complete, the later load of the leg and its
-- parent (a child landed before its parent gets its activist then).
-- Incremental: legs loaded since the last build, the children of those, and
-- legs to or from a phone of a person loaded since (re)matched.
with

calls as (

    select * from {{ ref('stg_twilio__calls') }}

),

-- the legs loaded since the last build, or to or from a phone of a person loaded since
touched as (

    select calls.call_sid from calls
    {% if is_incremental() %}
        where
            calls.loaded_at > {{ incremental_watermark() }}
            {%- if people_reloaded() %}
                or calls.from_e164 in ({{ people_loaded_since('phone_e164') }})
                or calls.to_e164 in ({{ people_loaded_since('phone_e164') }})
            {%- endif %}
    {% endif %}

),

batch as (

    select * from calls
    {% if is_incremental() %}
        where
            call_sid in (select touched.call_sid from touched)
            or parent_call_sid in (select touched.call_sid from touched)
    {% endif %}

),

phones as (

    select * from {{ ref('int_person_phones') }}

),

legs as (

    select
        batch.call_sid,
        batch.parent_call_sid,
        batch.direction,
        batch.status,
        batch.from_e164,
        batch.to_e164,
        batch.from_number,
        batch.to_number,
        batch.started_at,
        batch.duration_seconds,
        parents.direction as parent_direction,
        case
            when batch.direction = 'inbound' then batch.from_e164
            when batch.direction = 'outbound-dial' and parents.direction = 'inbound'
                then parents.from_e164
            when batch.direction = 'outbound-dial' then parents.to_e164
            when batch.direction like 'outbound%' then batch.to_e164
        end as activist_e164,
        case
            when parents.loaded_at > batch.loaded_at then parents.loaded_at
            else batch.loaded_at
        end as loaded_at
    from batch
    left join calls as parents
        on batch.parent_call_sid = parents.call_sid

)

select
    legs.call_sid,
    legs.parent_call_sid,
    legs.direction,
    legs.parent_direction,
    legs.status,
    legs.from_e164,
    legs.to_e164,
    legs.started_at,
    legs.duration_seconds,
    legs.activist_e164,
    coalesce(
        legs.activist_e164,
        case when legs.direction = 'inbound' then legs.from_number end
    ) as identifier,
    phones.person_id,
    phones.person_key,
    legs.loaded_at
from legs
left join phones
    on legs.activist_e164 = phones.phone_e164
