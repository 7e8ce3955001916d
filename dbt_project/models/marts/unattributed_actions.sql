-- Action Network actions on pages no campaign lists (campaigns.yml
-- `actions:`): kept, never dropped, and counted here per page for the data
-- health page. They are in marts.touchpoints too; they count for no
-- campaign until campaigns.yml lists their page (then a full build
-- attributes them).
with

actions as (

    select * from {{ ref('int_action_network_actions') }}

),

attributed as (

    select distinct action_id from {{ ref('int_action_network_actions_attributed') }}

)

select
    actions.page_kind,
    actions.page_id,
    count(*) as actions,
    count(distinct actions.person_key) as people,
    sum(case when actions.person_key is null then 1 else 0 end) as unmatched,
    max(actions.occurred_at) as last_acted_at
from actions
left join attributed
    on actions.action_id = attributed.action_id
where attributed.action_id is null
group by actions.page_kind, actions.page_id
