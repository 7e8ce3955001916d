-- People per rung on every kept day (marts.ladder), by affiliate,
-- country, province/state and language: the Ladder page's "over time".
select
    ladder.ladder_day,
    ladder.is_today,
    ladder.rung,
    people.affiliate,
    people.country,
    people.province_or_state,
    people.language,
    count(*) as people
from {{ ref('ladder') }} as ladder
inner join {{ ref('people') }} as people
    on ladder.person_key = people.person_key
group by
    ladder.ladder_day,
    ladder.is_today,
    ladder.rung,
    people.affiliate,
    people.country,
    people.province_or_state,
    people.language
