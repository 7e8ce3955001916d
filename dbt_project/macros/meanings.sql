{#-
    The meanings the funnel keeps a first time of (person_campaign_funnel's
    `first_<meaning>_at`), each with the campaign_touchpoints actions it is
    made of. The one place a meaning made of several actions is written:
    `acted` (DESIGN: any of signed, submitted, rsvped, wrote or called) and
    `opened_any` (human and machine opens). The funnel's columns and
    marts.action_meanings (which the cohort engine reads for "within N
    days") are both rendered from it. The single actions are defined where
    they are made: opened in int_email_events_attributed, signed / submitted
    / rsvped / wrote in int_action_network_actions_attributed, …
-#}
{% macro funnel_meanings() -%}
    {{ return([
        ('delivered', ['delivered']),
        ('opened', ['opened']),
        ('opened_any', ['opened', 'machine_opened']),
        ('clicked', ['clicked']),
        ('bounced', ['bounced']),
        ('unsubscribed', ['unsubscribed']),
        ('texted', ['texted']),
        ('replied', ['replied']),
        ('called', ['called']),
        ('signed', ['signed']),
        ('submitted', ['submitted']),
        ('rsvped', ['rsvped']),
        ('wrote', ['wrote']),
        ('acted', ['signed', 'submitted', 'rsvped', 'wrote', 'called']),
    ]) }}
{%- endmacro %}

{#- The actions an Action Network action can be: a daily build recounts
    them whole in the folded summaries, since a replaced action (an RSVP
    accepted, then declined) can take one away. -#}
{% macro action_network_actions() -%}
    {{ return(['signed', 'submitted', 'rsvped', 'wrote']) }}
{%- endmacro %}
