{#- Trimmed text, or null when it is empty: vendors write '' for "no value". -#}
{% macro blank_to_null(expr) -%}
    nullif(trim({{ expr }}), '')
{%- endmacro %}
