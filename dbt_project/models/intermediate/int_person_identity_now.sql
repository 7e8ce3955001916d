-- The identity over the people landed now (a view: it follows raw.people
-- between builds). The full-refresh check (pipelines/defs/transform/assets.py)
-- compares it with int_person_emails / int_person_phones, the identity the
-- stored events were matched with. The rule: macros/identity.sql.
{{ config(materialized='view') }}

with

emails as (

    {{ identity_by('email_norm') }}

),

phones as (

    {{ identity_by('phone_e164') }}

)

select
    'email' as kind,
    email_norm as identifier,
    person_key
from emails

union all

select
    'phone' as kind,
    phone_e164 as identifier,
    person_key
from phones
