{#-
    Schemas are plainly staging / intermediate / marts (the folder's +schema),
    not <target schema>_staging: the cohort engine and dashboards read marts.*.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
