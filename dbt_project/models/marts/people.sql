-- One row per Action Network person: email and phone as matched (trimmed
-- lower-case email, E.164 phone; null when invalid), province_or_state and
-- country resolved (country 'CA' = Canada; state 'CA' = California).
select
    person_id,
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
