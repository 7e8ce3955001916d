-- The days the ladder is kept on (DESIGN, "engagement ladder"): the last
-- day of every month from the month of the warehouse's first event up to
-- the one before today, whether or not anything happened that month, and
-- today (the as-of day, is_today). window_start: the first of the
-- ladder_window_days() whole UTC days ending on the day.
with

as_of as (

    select * from {{ ref('int_warehouse_as_of') }}

),

digits as (

    {% for digit in range(10) %}
        select {{ digit }} as digit
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- 0 … 999: months enough for 83 years of history
month_numbers as (

    select ones.digit + 10 * tens.digit + 100 * hundreds.digit as month_number
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds

),

month_ends as (

    select
        cast({{ dbt.last_day(
            dbt.dateadd('month', 'month_numbers.month_number',
                "cast(" ~ dbt.date_trunc('month', 'as_of.first_day') ~ " as date)"),
            'month',
        ) }} as date) as ladder_day,
        as_of.as_of_day
    from month_numbers
    cross join as_of

),

days as (

    select
        ladder_day,
        false as is_today
    from month_ends
    where ladder_day < as_of_day

    union all

    select
        as_of_day as ladder_day,
        true as is_today
    from as_of
    where as_of_day is not null

)

select
    ladder_day,
    is_today,
    cast({{ dbt.dateadd('day', 1 - ladder_window_days(), 'ladder_day') }} as date) as window_start
from days
