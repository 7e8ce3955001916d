{#-
    Model-level test: none of `columns` is null, checked in one query. For a
    view (int_person_identity_now), whose every test evaluates the view again,
    one test instead of one per column. Portable SQL.
-#}
{% test not_null_columns(model, columns) %}

select {{ columns | join(', ') }}
from {{ model }}
where
    {%- for column in columns %}
        {{ column }} is null{% if not loop.last %} or{% endif %}
    {%- endfor %}

{% endtest %}
