-- Letters per campaign and target (an MP, a senator, by title, name and
-- ocdid, e.g. ocd-division/country:ca/ed:35075 for a riding): `letters`
-- counts the outreaches that named the target (matched to a person or not),
-- `members` the matched people who wrote them. Leadership sums it per MP or
-- per riding.
select
    campaign_id,
    title,
    given_name,
    family_name,
    ocdid,
    count(distinct action_id) as letters,
    count(distinct person_key) as members,
    min(occurred_at) as first_letter_at,
    max(occurred_at) as last_letter_at
from {{ ref('int_action_network_letters') }}
group by campaign_id, title, given_name, family_name, ocdid
