{#-
    A view is only SQL: making it again reads no row. dbt's own view
    materialization makes every view again on every build (a new view, two
    renames, a drop, a commit: 0.2-0.5 s a view at 1M people, nine views in
    a daily build). On DuckDB a view whose compiled SQL is the one it was
    made from (the md5 kept in the view's comment) is left as it is, and its
    tests still run. Any change to its SQL (a model, a macro, a config, dbt
    itself) makes it again, as --full-refresh does. Spark keeps dbt-spark's
    own view materialization.
-#}
{% materialization view, adapter='duckdb' %}
    {%- set digest = 'rollcall: sql md5 ' ~ local_md5(sql) -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- if existing is not none and existing.is_view and not should_full_refresh() -%}
        {%- set held -%}
            select comment from duckdb_views()
            where
                database_name = '{{ this.database }}'
                and schema_name = '{{ this.schema }}'
                and view_name = '{{ this.identifier }}'
        {%- endset -%}
        {%- set found = run_query(held) -%}
        {%- if found.rows | length == 1 and found.rows[0][0] == digest -%}
            {%- call noop_statement('main', 'KEPT', 'KEPT') -%}{%- endcall -%}
            {{ return({'relations': [this.incorporate(type='view')]}) }}
        {%- endif -%}
    {%- endif -%}
    {%- set relations = dbt.materialization_view_default() -%}
    {%- call statement('view_sql_digest') -%}
        comment on view {{ this }} is '{{ digest }}'
    {%- endcall -%}
    {%- do adapter.commit() -%}
    {{ return(relations) }}
{% endmaterialization %}
