-- A view: the identity over the people landed now, so a check before a
-- build (pipelines/defs/transform/assets.py) reads the identity that build
-- will use, from this one rule.
{{ config(materialized='view') }}

-- Identity resolution by phone: one person per E.164 number. When several
-- people share a number the smallest person_id wins, so every engine
-- resolves the same way.
with

people as (

    select
        person_id,
        phone_e164
    from {{ ref('stg_action_network__people') }}
    where phone_e164 is not null

)

select
    phone_e164,
    min(person_id) as person_id,
    -- the winner's integer key: what the events carry
    {{ person_key('min(person_id)') }} as person_key,
    count(*) as people_sharing
from people
group by phone_e164
