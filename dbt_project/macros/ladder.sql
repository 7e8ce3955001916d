{#-
    The engagement ladder (DESIGN, "Meanings"; docs/contract.md, "The
    ladder"). The rungs, lowest first: the one list the models, the
    marts.ladder_rungs table and, through it, the cohort engine and the
    Ladder page read. A person's rung on a day is the highest reached in
    the window of ladder_window_days() whole UTC days ending that day; the
    rule itself is written once, in models/marts/ladder.sql.
-#}
{% macro ladder_rungs() -%}
    {{ return([
        (0, 'unreachable'),
        (1, 'listed'),
        (2, 'opener'),
        (3, 'clicker'),
        (4, 'actor'),
        (5, 'repeat_actor'),
    ]) }}
{%- endmacro %}

{#- The number of a rung by name: `{{ rung('clicker') }}` renders 3. -#}
{% macro rung(name) -%}
    {%- for number, rung_name in ladder_rungs() if rung_name == name -%}
        {{ number }}
    {%- else -%}
        {{ exceptions.raise_compiler_error('no rung named ' ~ name) }}
    {%- endfor -%}
{%- endmacro %}

{% macro ladder_window_days() -%}
    {{ return(90) }}
{%- endmacro %}

{#-
    How a person moved between two kept days (marts.ladder_movement's
    `direction`): fell_off when they were engaged (opener or higher) and are
    now listed or unreachable; otherwise up, same or down by rung number.
-#}
{% macro ladder_direction(before, after) -%}
    case
        when {{ before }} >= {{ rung('opener') }} and {{ after }} <= {{ rung('listed') }} then 'fell_off'
        when {{ after }} > {{ before }} then 'up'
        when {{ after }} = {{ before }} then 'same'
        else 'down'
    end
{%- endmacro %}

{#-
    In a daily build of marts.ladder, the people whose rungs on days already
    held may have changed, each with the first day that can have changed
    (`from_day`: a kept day d changes only if a changed event falls in its
    window, so not before the event's day): those with touchpoints rewritten
    by this build (from their earliest such touchpoint), those with an Action
    Network action replaced since the last build (from its created day, which
    a later copy keeps: a declined RSVP takes a touchpoint away), and those
    (re)loaded since (every day: their matches may have changed). A subquery
    of (person_key, from_day), one row a person.
-#}
{% macro ladder_changed_people() -%}
    select
        person_key,
        min(from_day) as from_day
    from (
        select
            touchpoints.person_key,
            cast(touchpoints.occurred_at as date) as from_day
        from {{ ref('campaign_touchpoints') }} as touchpoints
        where {{ rebuilt_rows('touchpoints.') }}
        union all
        select
            {{ person_key('replaced.person_id') }} as person_key,
            cast(replaced.occurred_at as date) as from_day
        from {{ ref('stg_action_network__actions') }} as replaced
        where replaced.loaded_at > {{ last_build_events_loaded_through() }}
        union all
        select
            reloaded.person_key,
            cast('1900-01-01' as date) as from_day
        from ({{ people_loaded_since('person_key') }}) as reloaded
    ) as changes
    where person_key is not null
    group by person_key
{%- endmacro %}

{#- The pre-hook of marts.ladder's daily build: today's rows (the window
    moved, reachability may have changed) and every changed person's rows
    from their from_day go; the model writes them again. -#}
{% macro delete_ladder_rows() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where is_today;
        {#- a join, not a correlated `exists` (which the engine turned into a
            grouping of every row held) -#}
        delete from {{ this }} as held
        using ({{ ladder_changed_people() }}) as changed
        where changed.person_key = held.person_key and held.ladder_day >= changed.from_day
    {%- endif -%}
{%- endmacro %}


{#- In marts.ladder's daily build, the touchpoints it reads (CTEs `targets`,
    `changed`): those inside the window of a day written for everyone
    (today, a month just ended), and every one of a changed person; a
    year of everyone else's history is not grouped again. -#}
{% macro ladder_events_read() -%}
    (
        cast(occurred_at as date) >= (
            select min(targets.window_start) from targets where not targets.changed_only
        )
        or person_key in (select changed.person_key from changed)
    )
{%- endmacro %}


{#- What marts.ladder's data test checks (tests/generic/ladder_rows_unique.sql):
    each build records, before it writes, the first day it can write
    (`first_day`; 1900-01-01 for a full build): today, a day not held yet
    (a month just ended), or a changed person's from_day. A repeated
    (person, day) would share its day, so the days before were checked by
    the builds that wrote them. Append-only, one row a build
    (`intermediate.ladder_first_days`); a build that did not complete is
    covered by the next, which reads every row since the last completed one. -#}
{% macro ladder_first_days_relation() -%}
    {{ return(bookkeeping_relation('ladder_first_days')) }}
{%- endmacro %}

{% macro create_ladder_first_days() -%}
    create table if not exists {{ ladder_first_days_relation() }} (
        written_at {{ dbt.type_timestamp() }},
        first_day date
    ){{ table_format_clause() }}
{%- endmacro %}

{% macro record_ladder_first_day() -%}
    insert into {{ ladder_first_days_relation() }}
    select
        {{ build_started_at() }} as written_at,
        {%- if is_incremental() %}
            least(
                (select min(ladder_day) from {{ ref('int_ladder_days') }} where is_today),
                (
                    select cast({{ dbt.dateadd('day', 1, "coalesce(max(ladder_day), cast('1899-12-31' as date))") }} as date)
                    from {{ this }}
                    where not is_today
                ),
                coalesce(
                    (select min(changed.from_day) from ({{ ladder_changed_people() }}) as changed),
                    cast('9999-12-31' as date)
                )
            ) as first_day
        {%- else %}
            cast('1900-01-01' as date) as first_day
        {%- endif %}
{%- endmacro %}

{#- The pre-hook of marts.ladder_counts' daily build: the days it counts again go. -#}
{% macro delete_ladder_counts_rows() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where ladder_day >= {{ ladder_first_day_written() }}
    {%- endif -%}
{%- endmacro %}

{#- The first day the builds since the last completed one wrote (or could have). -#}
{% macro ladder_first_day_written() -%}
    (
        select coalesce(min(first_day), cast('1900-01-01' as date))
        from {{ ladder_first_days_relation() }}
        where written_at > {{ last_build_at() }}
    )
{%- endmacro %}
