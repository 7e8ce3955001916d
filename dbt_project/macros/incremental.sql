{#-
    Incremental builds of the event-grain models (docs/contract.md, "Incremental builds").

    Every event-grain model carries `loaded_at`: when the event's first copy
    landed in raw (for a patch-through child leg, the later of its own and its
    parent's, since the child's activist comes from the parent). A model's
    watermark is the max loaded_at it already holds; a later run processes
    the rows loaded after it, plus every row whose email or phone belongs to a
    person (re)loaded after it: a person added later re-attributes earlier
    unmatched events. Replaced rows go by the model's unique_key.
    Changes that would take matches away (a person's email changed, a new
    person outranking the one an event matched) or a new campaigns.yml are
    not absorbed: pipelines/defs/transform/assets.py runs --full-refresh.
-#}

{#- delete+insert on DuckDB. On Spark the model is a table (event_materialization),
    so the strategy is never used there; merge would need Delta/Iceberg. -#}
{% macro upsert_strategy() -%}
    {{ return(adapter.dispatch('upsert_strategy', 'rollcall')()) }}
{%- endmacro %}

{% macro default__upsert_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{#-
    How an event-grain model is materialized on this engine:
    `materialized=event_materialization()` in its config() block.
    DuckDB: 'incremental' (the strategy the model names: delete+insert, fold,
    append with the delete_rebuilt_rows pre-hook). Spark with plain Parquet
    tables (no Delta/Iceberg jar): a table rebuilt whole on every build
    (`spark`, default 'table'), since Parquet has neither delete nor merge
    and dbt-spark runs no custom strategy; a model whose strategy is a plain
    append passes spark='incremental' and stays incremental there too.
    A table is never is_incremental(), so watermarks, folds and the pre-hook
    fall away and the model selects everything: the same rows as DuckDB's.
-#}
{% macro event_materialization(spark='table') -%}
    {{ return(adapter.dispatch('event_materialization', 'rollcall')(spark)) }}
{%- endmacro %}

{% macro default__event_materialization(spark) -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__event_materialization(spark) -%}
    {{ return(spark) }}
{%- endmacro %}

{#- The latest `column` this model already holds. -#}
{% macro incremental_watermark(column='loaded_at') -%}
    {{ constant_of(
        "select coalesce(max(" ~ column ~ "), cast('1900-01-01 00:00:00' as " ~ dbt.type_timestamp() ~ ")) from "
        ~ this
    ) }}
{%- endmacro %}

{#-
    A timestamp the model reads as a constant, worked out when the model is
    compiled (dbt compiles each model just before it runs it): a literal, so
    the engine prunes on it (`loaded_at > <literal>` skips every row group of
    older events; the same comparison with a subquery reads them all, and a
    daily build would read every event). In a unit test (`this` and the refs
    are fixtures, not tables) and while parsing, the query itself.
-#}
{% macro constant_of(query) -%}
    {%- if can_look_up() -%}
        {%- set value = run_query(query).columns[0].values()[0] -%}
        {%- set text = value if value is string else value.strftime("%Y-%m-%d %H:%M:%S.%f") -%}
        cast('{{ text }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        ({{ query }})
    {%- endif -%}
{%- endmacro %}

{#-
    Emails (`email_norm`), phones (`phone_e164`) or ids (`person_id`) of the
    people (re)loaded since the last completed build: a subquery for
    `in (...)`. Models calling it declare
    `-- depends_on: {{ ref('stg_action_network__people') }}`.
-#}
{% macro people_loaded_since(column) -%}
    select {{ column }}
    from {{ ref('stg_action_network__people') }}
    where loaded_at > {{ last_build_at() }} and {{ column }} is not null
{%- endmacro %}

{#- Whether a macro may ask the warehouse now (run_query): while a model
    runs, not at parse time, and not in a unit test, whose `this` and refs
    are fixtures rather than tables. -#}
{% macro can_look_up() -%}
    {{ return(execute and model.resource_type != 'unit_test') }}
{%- endmacro %}

{#- Whether any person was (re)loaded since the last completed build: when
    none was (most days), the models leave out their "or a person loaded
    since" clause, which would keep the engine from pruning on loaded_at.
    True (the clause stays, always correct) in a unit test and at parse. -#}
{% macro people_reloaded() -%}
    {%- if can_look_up() -%}
        {%- set found -%}
            select count(*) from ({{ people_loaded_since('person_id') }}) as reloaded
        {%- endset -%}
        {{ return(run_query(found).columns[0].values()[0] > 0) }}
    {%- endif -%}
    {{ return(true) }}
{%- endmacro %}

{#-
    The build log: one row per completed build of the event marts, written
    after the run (on-run-end). `campaigns_sha256` is the campaigns.yml the
    build attributed with; `events_loaded_through` the latest event it
    processed; `models_sha256` the dbt models and macros it ran (the dbt asset
    passes it in ROLLCALL_MODELS_SHA256: a var would defeat partial parsing).
    The Python side compares them with raw and the project on disk to decide
    whether a full refresh is needed; person_campaign_funnel and the daily
    unique tests read the watermark here.
-#}
{#- Named with its database: without it dbt's relation cache (keyed by
    database) never found the log, every watermark read 1900, and each daily
    build redid every event (correct, as slow as a full build). Spark has no
    database above the schema. -#}
{% macro build_log_relation() -%}
    {{ return(bookkeeping_relation('dbt_build_log')) }}
{%- endmacro %}

{#- A table written by hand (not a model) beside the intermediate models:
    the build log, the ladder's first days. -#}
{% macro bookkeeping_relation(identifier) -%}
    {{ return(api.Relation.create(
        database=(none if target.type == 'spark' else target.database),
        schema=generate_schema_name('intermediate', none), identifier=identifier
    )) }}
{%- endmacro %}

{% macro record_build(results) -%}
    {%- if execute -%}
        {%- set finished = results | selectattr('node.name', 'equalto', 'person_campaign_funnel')
            | selectattr('status', 'equalto', 'success') | list -%}
        {%- set broken = results | selectattr('status', 'in', ['error', 'fail', 'runtime error', 'skipped'])
            | list -%}
        {%- set actions_built = results | selectattr('node.name', 'equalto', 'campaign_touchpoints')
            | selectattr('status', 'equalto', 'success') | list -%}
        {%- if finished and actions_built and not broken -%}
            {%- set log = build_log_relation() -%}
            {#- hooks cannot ref(): the relations by name -#}
            {%- set actions = actions_built[0].node.relation_name -%}
            {#- the raw file, attached as `raw` (profiles.yml) -#}
            {%- set loaded_files = raw_relation('loaded_files') -%}
            {#- A log from before models_sha256 was kept: start it again. -#}
            {%- set existing = adapter.get_relation(
                database=log.database, schema=log.schema, identifier=log.identifier) -%}
            {%- if existing is not none and 'models_sha256' not in (
                adapter.get_columns_in_relation(existing) | map(attribute='name') | list) -%}
                {%- do adapter.drop_relation(existing) -%}
            {%- endif -%}
            {%- call statement('create_build_log') -%}
                create table if not exists {{ log }} (
                    built_at {{ dbt.type_timestamp() }},
                    campaigns_sha256 {{ dbt.type_string() }},
                    events_loaded_through {{ dbt.type_timestamp() }},
                    models_sha256 {{ dbt.type_string() }}
                ){{ table_format_clause() }}
            {%- endcall -%}
            {%- call statement('record_build') -%}
                insert into {{ log }}
                select
                    {{ build_started_at() }},
                    (
                        select max(sha256) from {{ loaded_files }}
                        where source = 'campaigns' and loaded_at = (
                            select max(loaded_at) from {{ loaded_files }}
                            where source = 'campaigns'
                        )
                    ),
                    (select max(loaded_at) from {{ actions }}),
                    '{{ env_var("ROLLCALL_MODELS_SHA256", "") }}'
            {%- endcall -%}
            {%- do adapter.commit() if target.type == 'duckdb' else none -%}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- A table of raw, which ingest writes: on DuckDB the raw file attached as
    `raw` (profiles.yml), on Spark the tables registered in schema `raw`
    (the sources say the same in _sources.yml). -#}
{% macro raw_relation(identifier) -%}
    {{ return(adapter.dispatch('raw_relation', 'rollcall')(identifier)) }}
{%- endmacro %}

{% macro default__raw_relation(identifier) -%}
    {{ return(api.Relation.create(database='raw', schema='main', identifier=identifier)) }}
{%- endmacro %}

{% macro spark__raw_relation(identifier) -%}
    {{ return(api.Relation.create(schema='raw', identifier=identifier)) }}
{%- endmacro %}

{#- What a table created by hand (the build log) is stored as: Parquet on Spark. -#}
{% macro table_format_clause() -%}
    {{ return(adapter.dispatch('table_format_clause', 'rollcall')()) }}
{%- endmacro %}

{% macro default__table_format_clause() -%}
    {{ return('') }}
{%- endmacro %}

{% macro spark__table_format_clause() -%}
    {{ return(' using parquet') }}
{%- endmacro %}

{#- When this build started, to the microsecond: the build log's `built_at` and the
    ladder's `written_at`. Rows an ingest stamped before the build (the same run,
    often the same second) are older than it, and a later build reads them as seen. -#}
{% macro build_started_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- When the last completed build started (people loaded after it are new to it). -#}
{% macro last_build_at() -%}
    {{ build_log_max('built_at') }}
{%- endmacro %}

{#- The funnel's watermark: the latest action the last completed build saw. -#}
{% macro last_build_events_loaded_through() -%}
    {{ build_log_max('events_loaded_through') }}
{%- endmacro %}

{% macro build_log_max(column) -%}
    {%- set name = build_log_relation() -%}
    {%- set log = adapter.get_relation(
        database=name.database, schema=name.schema, identifier=name.identifier
    ) if execute else none -%}
    {%- if log is none -%}
        cast('1900-01-01 00:00:00' as {{ dbt.type_timestamp() }})
    {%- else -%}
        {{ constant_of(
            "select coalesce(max(" ~ column ~ "), cast('1900-01-01 00:00:00' as " ~ dbt.type_timestamp()
            ~ ")) from " ~ log
        ) }}
    {%- endif -%}
{%- endmacro %}

{#-
    The first landed copy of each event of a raw source: a webhook post or a
    log export landed twice holds the same events again, raw keeps every
    landed row, and the first copy loaded is the one counted. Most ids land
    once: only the repeated ones are ranked (ranking every row costs several
    times more on tens of millions of events). Incremental: only rows loaded
    since this model's watermark, minus ids already kept (a repeat landed
    later never replaces the first copy). `loaded_at` and `source_file` name
    the relation's load time and file (raw's `_loaded_at`, `_source_file`).
-#}
{% macro first_landed_copies(source_relation, raw_key, kept_key, loaded_at='_loaded_at', source_file='_source_file') -%}
    {#- The landed rows, written out at each use: a CTE read three times
        would be materialized, a copy of every event. -#}
    {%- set landed -%}
        (
            select * from {{ source_relation }}
            where
                {{ raw_key }} is not null
                {%- if is_incremental() %}
                    and {{ loaded_at }} > {{ incremental_watermark() }}
                {%- endif %}
        )
    {%- endset -%}
    {%- set repeated -%}
        (
            select {{ raw_key }} as repeated_key
            from {{ landed }} as landed
            group by {{ raw_key }}
            having count(*) > 1
        )
    {%- endset -%}
    select * from (
        select
            landed.*,
            1 as copy_number
        from {{ landed }} as landed
        left join {{ repeated }} as repeated
            on landed.{{ raw_key }} = repeated.repeated_key
        where repeated.repeated_key is null

        union all

        select * from (
            select
                landed.*,
                row_number() over (
                    partition by landed.{{ raw_key }}
                    order by landed.{{ loaded_at }}, landed.{{ source_file }}
                ) as copy_number
            from {{ landed }} as landed
            inner join {{ repeated }} as repeated
                on landed.{{ raw_key }} = repeated.repeated_key
        ) as ranked
        where copy_number = 1
    ) as firsts
    {%- if is_incremental() %}
        where {{ raw_key }} not in (
            select kept.{{ kept_key }} from {{ this }} as kept
            where kept.{{ kept_key }} is not null
        )
    {%- endif %}
{%- endmacro %}

{#- In an incremental build, the rows to (re)process: loaded since this
    model's watermark, or belonging to a person (re)loaded since the last
    completed build (their earlier unmatched events may now be theirs). -#}
{% macro new_or_rematched(prefix='') -%}
    {{ prefix }}loaded_at > {{ incremental_watermark() }}
    {%- if people_reloaded() %}
        or {{ prefix }}person_id in ({{ people_loaded_since('person_id') }})
    {%- endif %}
{%- endmacro %}

{#-
    Append-only event facts keyed by person (campaign_touchpoints): a daily
    build rewrites the rows of the actions loaded since the last completed
    build and of the people (re)loaded since. `rebuilt_rows` selects them;
    `delete_rebuilt_rows` (a pre-hook) deletes them first, so a build that
    failed after writing them, or a person re-matched, never leaves a row
    twice. Both read the build log, not the table (its max would move as
    rows are deleted).
-#}
{% macro rebuilt_rows(prefix='') -%}
    {{ prefix }}loaded_at > {{ last_build_events_loaded_through() }}
    {%- if people_reloaded() %}
        or {{ prefix }}person_key in ({{ people_loaded_since('person_key') }})
    {%- endif %}
{%- endmacro %}

{#- The deleted rows also include the actions of every Action Network
    action (re)loaded since: ingest replaces an action's row (a later
    modified copy), and the replaced copy's action must go (an RSVP accepted,
    then declined, is no longer rsvped). Its new row, if any, is written
    again by rebuilt_rows. -#}
{% macro delete_rebuilt_rows() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where
            {{ rebuilt_rows() }}
            or touchpoint_id in ({{ actions_changed_since_last_build(dbt.concat(["'an:'", "action_id"])) }})
    {%- endif -%}
{%- endmacro %}

{#-
    Action Network actions loaded since the last completed build: new ones,
    and replaced ones (ingest keeps an action's latest modified copy and
    gives it the replacing load's _loaded_at). `column` is an expression over
    stg_action_network__actions (e.g. the touchpoint id); a subquery for
    `in (...)`. Models calling it declare
    `-- depends_on: {{ ref('stg_action_network__actions') }}`.
-#}
{% macro actions_changed_since_last_build(column='action_id') -%}
    select {{ column }}
    from {{ ref('stg_action_network__actions') }}
    where loaded_at > {{ last_build_events_loaded_through() }}
{%- endmacro %}

{#-
    The person x campaign pairs of the Action Network actions (re)loaded
    since the last completed build, attributed or not yet meaning anything
    (an RSVP declined): the funnel deletes their rows (a pre-hook) and
    recomputes them from all their actions, since a replaced action can take
    a first time away. Person and page of an action are taken as fixed
    (Action Network never moves an action to another activist or page).
-#}
{% macro changed_action_pairs() -%}
    select distinct
        attributed.person_key,
        attributed.campaign_id
    from {{ ref('int_action_network_actions_attributed') }} as attributed
    where
        attributed.person_key is not null
        and attributed.loaded_at > {{ last_build_events_loaded_through() }}
{%- endmacro %}

{% macro delete_changed_action_pairs() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as held
        using ({{ changed_action_pairs() }}) as changed
        where changed.person_key = held.person_key and changed.campaign_id = held.campaign_id
    {%- endif -%}
{%- endmacro %}
