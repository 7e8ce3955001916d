{{
    config(
        materialized=event_materialization(),
        incremental_strategy='append',
        pre_hook="{{ delete_ladder_counts_rows() }}",
    )
}}
-- People per rung on every kept day (marts.ladder), by affiliate,
-- country, province/state and language: the Ladder page's "over time".
-- A daily build counts again only the days the ladder may have written
-- since the last completed build (from ladder_first_day_written(): today,
-- a month just ended, a changed person's first day; every day after a
-- people export landed); the counts of the days before cannot have moved.
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
{%- if is_incremental() %}
    where ladder.ladder_day >= {{ ladder_first_day_written() }}
{%- endif %}
group by
    ladder.ladder_day,
    ladder.is_today,
    ladder.rung,
    people.affiliate,
    people.country,
    people.province_or_state,
    people.language
