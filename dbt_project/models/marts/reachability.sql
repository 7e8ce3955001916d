-- Can we email / text this person now? A block reason names the first rule
-- that fails; reachable = no block reason.
-- Each row also carries what a cohort question narrows people by (where they
-- live, affiliate, language), so the cohort engine filters on this one narrow
-- table, and is stored in (country, province_or_state) order: a state or
-- province question reads that state's row groups only (and the rows a
-- daily build replaced, which it appends in that order).
-- email: an address, subscribed, and not blocked by SendGrid's suppressions
--   (int_email_blocked_addresses, where that rule lives: an unsubscribe,
--   spamreport or hard bounce for good; a group_unsubscribe until a later
--   group_resubscribe of the same asm_group_id).
-- sms: a valid phone, subscribed, not opted out by its latest keyword reply,
--   and the latest outbound text to the number did not fail with 30003,
--   30005, 30006 or 21610.
-- A daily build decides again only the people whose answer can have moved
-- (their rows replaced, by person_id): those (re)loaded since the last
-- completed build, those whose address has a suppression event loaded
-- since (int_email_blocked_addresses decides it again), and those whose
-- phone has a text loaded since (its keyword state, its last outbound text).
{{
    config(
        materialized=event_materialization(),
        unique_key='person_id',
        incremental_strategy=upsert_strategy(),
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}
-- depends_on: {{ ref('stg_sendgrid__events') }}
-- depends_on: {{ ref('int_sms_messages') }}

with

people as (

    select * from {{ ref('int_people_geography') }}
    {% if is_incremental() %}
        where
            person_id in ({{ people_loaded_since('person_id') }})
            or email_norm in ({{ rechecked_addresses() }})
            or phone_e164 in (
                select texts.activist_e164 from {{ ref('int_sms_messages') }} as texts
                where texts.loaded_at > {{ last_build_at() }}
            )
    {% endif %}

),

blocked_addresses as (

    select * from {{ ref('int_email_blocked_addresses') }}

),

keyword_state as (

    select * from {{ ref('int_sms_keyword_state') }}

),

last_outbound as (

    select * from {{ ref('int_sms_last_outbound') }}

),

reasons as (

    select
        people.person_id,
        people.email_norm as email,
        people.phone_e164 as phone,
        people.country,
        people.province_or_state,
        people.federal_district,
        people.state_district,
        people.affiliate,
        people.language,
        case
            when people.email_norm is null then 'no_email'
            when coalesce(people.email_subscription_status, '') <> 'subscribed'
                then 'not_subscribed'
            when blocked_addresses.email_norm is not null
                then blocked_addresses.block_reason
        end as email_block_reason,
        case
            when people.phone_e164 is null then 'no_phone'
            when coalesce(people.sms_subscription_status, '') <> 'subscribed'
                then 'not_subscribed'
            when keyword_state.is_opted_out then 'opted_out'
            when last_outbound.is_unreachable_error
                then {{ dbt.concat([
                    "'last_text_error_'",
                    "cast(last_outbound.last_outbound_error_code as " ~ dbt.type_string() ~ ")",
                ]) }}
        end as sms_block_reason
    from people
    left join blocked_addresses
        on people.email_norm = blocked_addresses.email_norm
    left join keyword_state
        on people.phone_e164 = keyword_state.phone_e164
    left join last_outbound
        on people.phone_e164 = last_outbound.phone_e164

)

select
    person_id,
    {{ person_key('person_id') }} as person_key,
    email,
    phone,
    email_block_reason is null as reachable_email,
    sms_block_reason is null as reachable_sms,
    email_block_reason,
    sms_block_reason,
    country,
    province_or_state,
    federal_district,
    state_district,
    affiliate,
    language
from reasons
order by country, province_or_state, person_key
