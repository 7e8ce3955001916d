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
    In a daily build of marts.ladder, the people whose rungs on days
    already held may have changed: those with touchpoints rewritten by this
    build (new actions, people (re)loaded, re-matched) and those with an
    Action Network action replaced since the last build (a declined RSVP
    takes a touchpoint away). A subquery for `in (...)`.
-#}
{% macro ladder_changed_people() -%}
    select touchpoints.person_key
    from {{ ref('campaign_touchpoints') }} as touchpoints
    where {{ rebuilt_rows('touchpoints.') }}
    union
    select {{ person_key('changed.person_id') }}
    from {{ ref('stg_action_network__actions') }} as changed
    where changed.loaded_at > {{ last_build_events_loaded_through() }}
    union
    select person_key from ({{ people_loaded_since('person_key') }}) as reloaded
{%- endmacro %}

{#- The pre-hook of marts.ladder's daily build: today's rows (the window
    moved, reachability may have changed) and every row of a changed person
    go; the model writes them again. -#}
{% macro delete_ladder_rows() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where is_today or person_key in ({{ ladder_changed_people() }})
    {%- endif -%}
{%- endmacro %}
