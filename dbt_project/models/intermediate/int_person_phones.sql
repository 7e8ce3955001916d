{{
    config(
        materialized=event_materialization(),
        unique_key='phone_e164',
        incremental_strategy='fold',
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}
-- Identity resolution by phone: one person per E.164 number, as the events
-- of this build match it (the rule: macros/identity.sql).
-- It changes only with the people: a daily build with no person (re)loaded
-- since the last completed build keeps it as it is (macros/fold.sql).
{%- set fold = fold_new_events() %}
{{ identity_by('phone_e164') }}
{%- if fold %}
    having false
{%- endif %}
