{#-
    SendGrid's suppressions (models/intermediate/int_email_blocked_addresses.sql
    holds the rule): the events that can block an address or free it again.
-#}
{% macro suppression_events() -%}
    {{ return(['unsubscribe', 'group_unsubscribe', 'spamreport', 'bounce', 'group_resubscribe']) }}
{%- endmacro %}

{#- The addresses a daily build of int_email_blocked_addresses decides
    again: those with a suppression event loaded since the last completed
    build (a subquery for `in (...)`). -#}
{% macro rechecked_addresses() -%}
    select events.email_norm
    from {{ ref('stg_sendgrid__events') }} as events
    where
        events.loaded_at > {{ last_build_at() }}
        and events.email_norm is not null
        and events.event_type in ('{{ suppression_events() | join("', '") }}')
{%- endmacro %}

{#- Its pre-hook: their rows go (an address a group_resubscribe freed keeps none). -#}
{% macro delete_rechecked_addresses() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where email_norm in ({{ rechecked_addresses() }})
    {%- endif -%}
{%- endmacro %}
