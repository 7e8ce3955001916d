{#-
    Model-level test for a composite key: no two rows share the same values
    of combination_of_columns. Portable SQL (group by / having).
-#}
{% test unique_combination(model, combination_of_columns) %}

select
    {{ combination_of_columns | join(', ') }},
    count(*) as n_rows
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1

{% endtest %}
