-- One row per Action Network person: email and phone as matched (trimmed
-- lower-case email, E.164 phone; null when invalid), province_or_state and
-- country resolved (country 'CA' = Canada; state 'CA' = California).
-- person_key: the integer the cohort engine joins on (macros/person_key.sql).
-- Incremental: only the people (re)loaded since the last completed build are
-- redone.
-- depends_on: {{ ref('stg_action_network__people') }}
{{
    config(
        materialized=event_materialization(),
        unique_key='person_id',
        incremental_strategy=upsert_strategy(),
    )
}}

select
    person_id,
    {{ person_key('person_id') }} as person_key,
    first_name,
    last_name,
    email_norm as email,
    phone_e164 as phone,
    coalesce(postal_code, zip_code) as zip_code,
    province_or_state,
    country,
    city,
    affiliate,
    language,
    federal_district,
    state_district,
    email_subscription_status,
    sms_subscription_status
from {{ ref('int_people_geography') }}
{%- if is_incremental() %}
    where person_id in ({{ people_loaded_since('person_id') }})
{%- endif %}
