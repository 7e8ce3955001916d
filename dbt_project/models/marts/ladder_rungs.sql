-- The rungs of the engagement ladder, lowest first (macros/ladder.sql): the
-- names the cohort engine's --rung and the Ladder page read.
{% for number, name in ladder_rungs() %}
    select
        cast({{ number }} as {{ dbt.type_int() }}) as rung,
        cast('{{ name }}' as {{ dbt.type_string() }}) as rung_name
    {% if not loop.last %}union all{% endif %}
{% endfor %}
