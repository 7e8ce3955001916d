{#-
    Model-level test for a composite key: no two rows share the same values
    of combination_of_columns. Portable SQL (group by / having).

    new_rows_only (for incremental event models, cheap on a daily build):
    only the keys of rows loaded since the last completed build (`loaded_at`
    later than the events that build held) are checked, each against the
    whole table, so a new row can repeat neither another new row nor one
    held before. The rows held before were checked by the build that added
    them; a full refresh checks every row.

    nulls_distinct: rows with a null in the key are not compared (as SQL's
    unique constraints do); campaign_touchpoints' email actions carry no
    touchpoint_id.
-#}
{% test unique_combination(model, combination_of_columns, new_rows_only=false, nulls_distinct=false) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as n_rows
from {{ model }} as held
{%- if new_rows_only and not flags.FULL_REFRESH %}
    where exists (
        select 1
        from {{ model }} as new_row
        where
            new_row.loaded_at > {{ last_build_events_loaded_through() }}
            {%- for column in combination_of_columns %}
                and new_row.{{ column }} = held.{{ column }}
            {%- endfor %}
    )
{%- endif %}
{%- if nulls_distinct %}
    {{ 'and' if new_rows_only and not flags.FULL_REFRESH else 'where' }}
    {%- for column in combination_of_columns %}
        held.{{ column }} is not null{% if not loop.last %} and{% endif %}
    {%- endfor %}
{%- endif %}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
