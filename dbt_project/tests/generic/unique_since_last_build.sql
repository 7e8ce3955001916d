{#-
    unique_combination for an incremental event model, cheap on a daily
    build: every key of a row loaded since the last completed build
    (`loaded_at` later than the events that build held) appears once in the
    whole table, so a new row can neither repeat another new row nor one held
    before. The rows held before were checked by the build that added them.
    A full refresh, or a first build (no build log), checks every row.
-#}
{% test unique_since_last_build(model, combination_of_columns) %}

{%- set key = combination_of_columns | join(', ') -%}

{%- if flags.FULL_REFRESH %}

select
    {{ key }},
    count(*) as n_rows
from {{ model }}
group by {{ key }}
having count(*) > 1

{%- else %}

with

new_keys as (

    select distinct {{ key }}
    from {{ model }}
    where loaded_at > {{ last_build_events_loaded_through() }}

)

select
    {% for column in combination_of_columns -%}
        held.{{ column }},
    {% endfor -%}
    count(*) as n_rows
from {{ model }} as held
inner join new_keys
    on
    {% for column in combination_of_columns -%}
        {{ 'and ' if not loop.first }}held.{{ column }} = new_keys.{{ column }}
    {% endfor %}
group by
    {% for column in combination_of_columns -%}
        held.{{ column }}{{ ',' if not loop.last }}
    {% endfor %}
having count(*) > 1

{%- endif %}

{% endtest %}
