-- The actions of campaign_touchpoints each funnel meaning is made of, as
-- rows (macros/meanings.sql, the one place): the cohort engine reads it to
-- look for "B within N days" (acted: signed, submitted, rsvped, wrote or
-- called; opened_any: human and machine opens).
{%- set rows = [] %}
{%- for meaning, kinds in funnel_meanings() %}
    {%- for kind in kinds %}
        {%- do rows.append((meaning, kind)) %}
    {%- endfor %}
{%- endfor %}
{% for meaning, kind in rows %}
    select
        cast('{{ meaning }}' as {{ dbt.type_string() }}) as meaning,
        cast('{{ kind }}' as {{ dbt.type_string() }}) as action
    {% if not loop.last %}union all{% endif %}
{% endfor %}
