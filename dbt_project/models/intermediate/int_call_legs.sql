-- Every Twilio call leg with the activist's phone: the caller of an inbound
-- (hotline) leg, the callee of an outbound-api leg, and for an outbound-dial
-- child leg (patch-through to a target office) the activist of its parent.
with

calls as (

    select * from {{ ref('stg_twilio__calls') }}

),

phones as (

    select * from {{ ref('int_person_phones') }}

),

legs as (

    select
        calls.call_sid,
        calls.parent_call_sid,
        calls.direction,
        calls.status,
        calls.from_e164,
        calls.to_e164,
        calls.from_number,
        calls.to_number,
        calls.started_at,
        calls.duration_seconds,
        parents.direction as parent_direction,
        case
            when calls.direction = 'inbound' then calls.from_e164
            when calls.direction = 'outbound-dial' and parents.direction = 'inbound'
                then parents.from_e164
            when calls.direction = 'outbound-dial' then parents.to_e164
            when calls.direction like 'outbound%' then calls.to_e164
        end as activist_e164
    from calls
    left join calls as parents
        on calls.parent_call_sid = parents.call_sid

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
    phones.person_id
from legs
left join phones
    on legs.activist_e164 = phones.phone_e164
