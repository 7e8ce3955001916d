{#-
    A person's integer key: a 64-bit hash of the person_id (an Action
    Network uuid). Cohort questions join people, reachability and the funnel
    on it, several times faster than on the 36-character uuid. The same
    uuid gives the same key in every build, so incremental models can carry
    it; marts.people tests it unique (a collision would fail the build).
-#}
{% macro person_key(person_id) -%}
    {{ return(adapter.dispatch('person_key', 'rollcall')(person_id)) }}
{%- endmacro %}

{% macro default__person_key(person_id) -%}
    hash({{ person_id }})
{%- endmacro %}

{% macro spark__person_key(person_id) -%}
    xxhash64({{ person_id }})
{%- endmacro %}
