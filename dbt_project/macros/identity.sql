{#-
    Identity resolution, the one rule: one person per identifier (a
    normalised email address or an E.164 number). When several people share
    it the smallest person_id wins, so every engine resolves the same way.
    int_person_emails / int_person_phones keep what the last build used;
    int_person_identity_now is the same rule over the people landed now
    (read by the full-refresh check before a build).
-#}
{% macro identity_by(identifier) -%}
    select
        {{ identifier }},
        min(person_id) as person_id,
        -- the winner's integer key: what the events carry
        {{ person_key('min(person_id)') }} as person_key,
        count(*) as people_sharing
    from {{ ref('stg_action_network__people') }}
    where {{ identifier }} is not null
    group by {{ identifier }}
{%- endmacro %}
