{#-
    Replace every match of a regular expression.

    `pattern` is the bare regular expression (not a SQL literal); use only
    syntax that RE2 (DuckDB) and Java (Spark) share, e.g. \p{L}, \p{N}.
    DuckDB replaces only the first match unless given the 'g' option; Spark
    always replaces all, and its string literals treat backslash as an escape.
-#}
{% macro regexp_replace_all(expr, pattern, replacement='') -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'rollcall')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ dbt.escape_single_quotes(pattern) }}', '{{ dbt.escape_single_quotes(replacement) }}', 'g')
{%- endmacro %}

{% macro spark__regexp_replace_all(expr, pattern, replacement) -%}
    regexp_replace({{ expr }}, '{{ dbt.escape_single_quotes(pattern | replace("\\", "\\\\")) }}', '{{ dbt.escape_single_quotes(replacement | replace("\\", "\\\\")) }}')
{%- endmacro %}
