{{ config(materialized='view') }}

-- Movement on the ladder between any two kept days, day_before earlier
-- than day_after: the people on both days counted per (rung before, rung
-- after), by affiliate, country, province/state and language; direction
-- is up, same, down or fell_off (macros/ladder.sql). A view: asked for two
-- days, it reads only those days' slices of marts.ladder, and the counts
-- of a pair sum to the people present on both.
select
    before_day.ladder_day as day_before,
    after_day.ladder_day as day_after,
    after_day.is_today as after_is_today,
    before_day.rung as rung_before,
    after_day.rung as rung_after,
    {{ ladder_direction('before_day.rung', 'after_day.rung') }} as direction,
    people.affiliate,
    people.country,
    people.province_or_state,
    people.language,
    count(*) as people
from {{ ref('ladder') }} as before_day
inner join {{ ref('ladder') }} as after_day
    on
        before_day.person_key = after_day.person_key
        and before_day.ladder_day < after_day.ladder_day
inner join {{ ref('people') }} as people
    on before_day.person_key = people.person_key
group by
    before_day.ladder_day,
    after_day.ladder_day,
    after_day.is_today,
    before_day.rung,
    after_day.rung,
    people.affiliate,
    people.country,
    people.province_or_state,
    people.language
