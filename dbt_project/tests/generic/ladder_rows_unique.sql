{#-
    marts.ladder: no two rows share (person_key, ladder_day). A build writes
    no row before the first day it recorded (macros/ladder.sql,
    `record_ladder_first_day`: 1900-01-01 for a full build, so every row),
    and a repeated key shares its day: only the days from there are grouped
    (a daily build: today's million rows, not every kept day's). The days
    before were checked by the builds that wrote them. Portable SQL.
-#}
{% test ladder_rows_unique(model) %}

select
    person_key,
    ladder_day,
    count(*) as n_rows
from {{ model }}
where ladder_day >= {{ ladder_first_day_written() }}
group by person_key, ladder_day
having count(*) > 1

{% endtest %}
