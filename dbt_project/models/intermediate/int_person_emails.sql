{{
    config(
        materialized=event_materialization(),
        unique_key='email_norm',
        incremental_strategy='fold',
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}
-- Identity resolution by email: one person per normalised address, as the
-- events of this build match it (the rule: macros/identity.sql).
-- It changes only with the people: a daily build with no person (re)loaded
-- since the last completed build keeps it as it is (macros/fold.sql).
{%- set fold = fold_new_events() %}
{{ identity_by('email_norm') }}
{%- if fold %}
    having false
{%- endif %}
