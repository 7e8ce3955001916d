{#-
    Folded summaries (weekly_activity, unmatched_identifiers): counts over
    every event, kept up to date by adding what a day brings.

    A daily build sums the events loaded since the summary's own watermark
    (`loaded_through`, the latest event it has counted, stored with the rows
    in the same write, so a build that fails later never folds a day twice)
    and adds them to the rows held for the same key. When a person was
    (re)loaded since the last completed build, a person's events can change
    hands (a new match, a new affiliate): the summary is then recomputed
    whole, and replaces every row.

    In the model: `{% set fold = fold_new_events() %}`, select only the new
    events and add the held row when `fold`, everything otherwise; config
    `incremental_strategy='fold'` with the summary's `unique_key`. The
    identity maps (int_person_emails, int_person_phones) fold too: they
    change only with the people, so when folding they select nothing.
-#}

{#- True on a daily build that can fold; false on a first build, a full
    refresh, or when people changed (then the model recomputes everything).
    The model declares `-- depends_on: {{ ref('stg_action_network__people') }}`. -#}
{% macro fold_new_events() -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(not people_reloaded()) }}
{%- endmacro %}

{#- The rows held, to add the fold to: this model's table when folding, else
    none (an empty select of `batch`, a CTE with the same columns). -#}
{% macro fold_held(fold, batch) -%}
    {%- if fold -%}
        select * from {{ this }}
    {%- else -%}
        select * from {{ batch }} where false
    {%- endif -%}
{%- endmacro %}

{#- The incremental strategy: replace the batch's keys (null-safe: an
    affiliate can be null) when folding, every row otherwise. -#}
{% macro get_incremental_fold_sql(arg_dict) -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- set keys = [key] if key is string else key -%}
    {{ return(adapter.dispatch('fold_sql', 'rollcall')(arg_dict, keys, fold_new_events())) }}
{%- endmacro %}

{% macro default__fold_sql(arg_dict, keys, fold) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set batch = arg_dict['temp_relation'] -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ target }} as held
    {%- if fold %}
        using {{ batch }} as folded
        where
            {%- for key in keys %}
                folded.{{ key }} is not distinct from held.{{ key }}
                {%- if not loop.last %} and{% endif %}
            {%- endfor %}
    {%- endif %};
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ batch }}
{%- endmacro %}

{#- A pre-hook of the folded summaries: delete the rows of Action Network's
    actions (`column` is 'action' or 'channel'), which the model recounts
    whole on every build (a replaced action can take one away). -#}
{% macro delete_action_network_rows(column) -%}
    {%- if is_incremental() -%}
        {%- if column == 'channel' -%}
            delete from {{ this }} where channel = 'action'
        {%- else -%}
            delete from {{ this }} where action in ('{{ action_network_actions() | join("', '") }}')
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
