{#-
    A saved segment's measured lift (models/segments/segment_lift.sql says
    how), for the whole federation or, `by_affiliate`, per affiliate over its
    own members (what an affiliate-scoped user sees). One formula for both.
-#}
{% macro segment_lift(by_affiliate=false) %}
with

definitions as (

    select
        segment_id,
        name_en,
        name_fr,
        channel,
        holdout_percent,
        outcome_campaign_id,
        outcome_event,
        outcome_window_days
    from {{ source('segments', 'definitions') }}

),

arms as (

    select
        outcomes.segment_id,
        {%- if by_affiliate %}
        people.affiliate,
        {%- endif %}
        cast(sum(case when arm = 'treatment' then 1 else 0 end) as {{ dbt.type_bigint() }}) as n_treatment,
        cast(sum(case when arm = 'control' then 1 else 0 end) as {{ dbt.type_bigint() }}) as n_control,
        cast(
            sum(case when arm = 'treatment' and converted then 1 else 0 end) as {{ dbt.type_bigint() }}
        ) as converted_treatment,
        cast(
            sum(case when arm = 'control' and converted then 1 else 0 end) as {{ dbt.type_bigint() }}
        ) as converted_control
    from {{ ref('segment_outcomes') }} as outcomes
    {%- if by_affiliate %}
    inner join {{ ref('people') }} as people
        on outcomes.person_id = people.person_id
    group by outcomes.segment_id, people.affiliate
    {%- else %}
    group by outcomes.segment_id
    {%- endif %}

),

counts as (

    select
        definitions.segment_id,
        {%- if by_affiliate %}
        affiliates.affiliate,
        {%- endif %}
        definitions.name_en,
        definitions.name_fr,
        definitions.channel,
        definitions.holdout_percent,
        definitions.outcome_campaign_id,
        definitions.outcome_event,
        definitions.outcome_window_days,
        coalesce(arms.n_treatment, 0) as n_treatment,
        coalesce(arms.n_control, 0) as n_control,
        coalesce(arms.converted_treatment, 0) as converted_treatment,
        coalesce(arms.converted_control, 0) as converted_control
    from definitions
    {%- if by_affiliate %}
    cross join (
        select distinct affiliate from {{ ref('people') }} where affiliate is not null
    ) as affiliates
    left join arms
        on definitions.segment_id = arms.segment_id and affiliates.affiliate = arms.affiliate
    {%- else %}
    left join arms on definitions.segment_id = arms.segment_id
    {%- endif %}

),

rates as (

    select
        *,
        cast(converted_treatment as double) / nullif(n_treatment, 0) as rate_treatment,
        cast(converted_control as double) / nullif(n_control, 0) as rate_control
    from counts

),

lift as (

    select
        *,
        rate_treatment - rate_control as lift,
        1.96 * sqrt(
            rate_treatment * (1 - rate_treatment) / n_treatment
            + rate_control * (1 - rate_control) / n_control
        ) as margin
    from rates

)

select
    segment_id,
    {%- if by_affiliate %}
    affiliate,
    {%- endif %}
    name_en,
    name_fr,
    channel,
    holdout_percent,
    outcome_campaign_id,
    outcome_event,
    outcome_window_days,
    n_treatment,
    n_control,
    converted_treatment,
    converted_control,
    round(rate_treatment, 6) as rate_treatment,
    round(rate_control, 6) as rate_control,
    round(lift, 6) as lift,
    round(lift - margin, 6) as lift_ci_low,
    round(lift + margin, 6) as lift_ci_high
from lift
{% endmacro %}
