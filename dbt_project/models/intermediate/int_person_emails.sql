-- A view: the identity over the people landed now, so a check before a
-- build (pipelines/defs/transform/assets.py) reads the identity that build
-- will use, from this one rule.
{{ config(materialized='view') }}

-- Identity resolution by email: one person per normalised address. When
-- several people share an address the smallest person_id wins, so every
-- engine resolves the same way.
with

people as (

    select
        person_id,
        email_norm
    from {{ ref('stg_action_network__people') }}
    where email_norm is not null

)

select
    email_norm,
    min(person_id) as person_id,
    -- the winner's integer key: what the events carry
    {{ person_key('min(person_id)') }} as person_key,
    count(*) as people_sharing
from people
group by email_norm
