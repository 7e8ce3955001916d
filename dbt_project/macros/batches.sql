{#-
    A full build of person_campaign_funnel, a few campaigns at a time.

    In one statement, a full build groups every campaign touchpoint by person
    and campaign, then sorts all of it by campaign (what lets a cohort read
    one campaign's row groups). At 5M people that is 105M touchpoints into
    63M groups: a hash table and a sort far past DuckDB's memory ceiling,
    which it spills to disk (14 GB of it), 91.5 s. Built in batches of
    campaigns instead, in campaign order, each statement's groups fit in
    memory, its sort is small, and the table comes out in campaign order:
    49–52 s at 5M, and 9.4 s against 12.6 s at 1M (bench/results-5m.md).

    How: the model's full-build SQL reads only the campaigns of the current
    batch (`in_campaign_batch`: the DuckDB variable `rollcall_batch`, a
    [first, last] campaign key). The pre-hook (`first_campaign_batch`) splits
    the campaigns into batches, in one query, into the variable
    `rollcall_batches`, and points `rollcall_batch` at the first, which the
    model's own statement builds; the post-hook (`remaining_campaign_batches`)
    runs the same compiled SQL for each other batch, appending. A batch is a
    run of consecutive campaign keys, cut every `campaign_batch_rows`
    touchpoints (a var, 5M) of their running count: about that many, more
    when its last campaign is bigger. 5M touchpoints make about 3M person x
    campaign groups, ~0.6 GB of hash table, well inside the ceiling the other
    dbt threads share. tests/dbt/test_dbt_build.py builds with one campaign a
    batch and checks the funnel is the same.

    A daily build (incremental) is one statement, as before: it reads what
    changed, which is small. The batch list lives in a DuckDB variable from
    the pre-hook to the post-hook, so the post-hook appends only after a
    full build's first batch, whatever is_incremental() says by then (after
    a first build, the table exists). Unset, `rollcall_batch` selects every
    campaign: a unit test, or any other reader of the compiled SQL, gets
    the whole funnel.

    Spark shuffles a large aggregate to disk itself: there it is one
    statement, every campaign (the spark__ versions).
-#}

{% macro in_campaign_batch(column) -%}
    {{ return(adapter.dispatch('in_campaign_batch', 'rollcall')(column)) }}
{%- endmacro %}

{% macro default__in_campaign_batch(column) -%}
    {{ column }} between coalesce(getvariable('rollcall_batch')[1], -2147483648)
    and coalesce(getvariable('rollcall_batch')[2], 2147483647)
{%- endmacro %}

{% macro spark__in_campaign_batch(column) -%}
    true
{%- endmacro %}

{% macro first_campaign_batch(touchpoints) -%}
    {%- set rows = var('campaign_batch_rows', 5000000) | int -%}
    {{ return(adapter.dispatch('first_campaign_batch', 'rollcall')(touchpoints, rows)) }}
{%- endmacro %}

{% macro default__first_campaign_batch(touchpoints, rows) -%}
    {%- if execute and not is_incremental() %}
        set variable rollcall_batches = (
            select list([first_key, last_key] order by first_key)
            from (
                select min(campaign_key) as first_key, max(campaign_key) as last_key
                from (
                    select
                        campaign_key,
                        sum(count(*)) over (order by campaign_key) - count(*) as rows_before
                    from {{ touchpoints }}
                    group by campaign_key
                )
                group by rows_before // {{ rows }}
            )
        );
        set variable rollcall_batch = getvariable('rollcall_batches')[1];
    {%- else %}
        reset variable rollcall_batch;
        reset variable rollcall_batches;
    {%- endif %}
{%- endmacro %}

{% macro spark__first_campaign_batch(touchpoints, rows) -%}
{%- endmacro %}

{% macro remaining_campaign_batches() -%}
    {{ return(adapter.dispatch('remaining_campaign_batches', 'rollcall')()) }}
{%- endmacro %}

{% macro default__remaining_campaign_batches() -%}
    {%- set batches = [] -%}
    {%- if execute -%}
        {%- set batches = run_query(
            "select batch[1], batch[2] from (select unnest(getvariable('rollcall_batches')[2:]) as batch)"
        ).rows -%}
    {%- endif -%}
    {%- for first, last in batches %}
        set variable rollcall_batch = [{{ first }}, {{ last }}];
        insert into {{ this }} by name (
            {{ model.compiled_code }}
        );
    {%- endfor %}
        reset variable rollcall_batch;
        reset variable rollcall_batches;
{%- endmacro %}

{% macro spark__remaining_campaign_batches() -%}
{%- endmacro %}
