{{
    config(
        materialized=event_materialization(),
        unique_key=['call_sid', 'campaign_id'],
        incremental_strategy=upsert_strategy(),
    )
}}
-- depends_on: {{ ref('stg_action_network__people') }}

-- "called": a made call. The leg that reaches a campaign's number is either
-- (a) a hotline: an inbound leg from the activist To the number, or
-- (b) a patch-through: an outbound-dial child leg (parent_call_sid = an
--     outbound-api parent leg to the activist) To the number.
-- It is made when that leg is completed with duration_seconds >= the
-- campaign's min_call_seconds; its time is the leg's started_at. It counts
-- for every campaign whose call numbers list the number reached.
-- Incremental: the texts/calls loaded since the last build, and those of people
-- loaded since (campaigns.yml changes rebuild fully).
with

legs as (

    select * from {{ ref('int_call_legs') }}
    {% if is_incremental() %}
        where
            {{ new_or_rematched() }}
    {% endif %}

),

call_numbers as (

    select * from {{ ref('stg_campaigns__call_numbers') }}

),

campaigns as (

    select * from {{ ref('stg_campaigns__campaigns') }}

)

select
    legs.call_sid,
    campaigns.campaign_id,
    legs.person_id,
    legs.person_key,
    legs.activist_e164,
    legs.to_e164 as reached_e164,
    legs.started_at as occurred_at,
    legs.duration_seconds,
    legs.loaded_at
from legs
inner join call_numbers
    on legs.to_e164 = call_numbers.number_e164
inner join campaigns
    on call_numbers.campaign_id = campaigns.campaign_id
where
    (
        legs.direction = 'inbound'
        or (legs.direction = 'outbound-dial' and legs.parent_direction = 'outbound-api')
    )
    and legs.status = 'completed'
    and legs.duration_seconds >= campaigns.min_call_seconds
