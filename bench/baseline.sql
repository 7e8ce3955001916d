-- The baseline: a single hand-written DuckDB script that loads the same
-- landing files and builds the same person x campaign funnel, with none of
-- rollcall's validation, quarantine, idempotence, lineage or tests.
-- bench/run.py substitutes {landing} and {campaigns_json} (campaigns.yml as JSON)
-- and runs it statement by statement, timing each stage.

-- stage: load
create table people as
select uuid as person_id, lower(trim(email)) as email,
       '+1' || right(regexp_replace(can2_phone, '[^0-9]', '', 'g'), 10) as phone
from read_csv('{landing}/people/*.csv', all_varchar = true, header = true);

create table events as
select sg_event_id, lower(trim(email)) as email, event, to_timestamp(timestamp) as at_ts,
       campaign_id, coalesce(sg_machine_open, false) as machine_open
from read_json('{landing}/sendgrid/*', format = 'auto', ignore_errors = true, union_by_name = true,
               columns = {sg_event_id: 'VARCHAR', email: 'VARCHAR', event: 'VARCHAR',
                          timestamp: 'BIGINT', campaign_id: 'VARCHAR', sg_machine_open: 'BOOLEAN'});

create table messages as
select coalesce("Sid", sid) as sid, coalesce("From", "from") as from_raw, coalesce("To", "to") as to_raw,
       coalesce("Body", body) as body, lower(coalesce("Status", status)) as status,
       coalesce("Direction", direction) as direction,
       try_strptime(coalesce("SentDate", date_sent), '%a, %d %b %Y %H:%M:%S %z') as sent_at
from read_csv('{landing}/twilio_messages/*.csv*', all_varchar = true, header = true,
              union_by_name = true, ignore_errors = true);

create table calls as
select coalesce("Sid", sid) as sid, coalesce("ParentCallSid", parent_call_sid) as parent_sid,
       coalesce("From", "from") as from_raw, coalesce("To", "to") as to_raw,
       lower(coalesce("Status", status)) as status, coalesce("Direction", direction) as direction,
       try_strptime(coalesce("StartTime", start_time), '%a, %d %b %Y %H:%M:%S %z') as started_at,
       try_cast(coalesce("Duration", duration) as integer) as duration
from read_csv('{landing}/twilio_calls/*.csv*', all_varchar = true, header = true,
              union_by_name = true, ignore_errors = true);

-- Action Network actions: NDJSON of bare records, and API page bodies with
-- the records under `_embedded`; the page's id field says the kind.
create table actions as
with pages as (
    select unnest(json_extract(_embedded, '$.*[*]')) as rec
    from read_json('{landing}/actionnetwork_actions/*/*.json', columns = {_embedded: 'JSON'},
                   ignore_errors = true)
),
records as (
    select identifiers, created_date, modified_date, "action_network:person_id" as person_id,
           "action_network:petition_id" as petition_id, "action_network:form_id" as form_id,
           "action_network:event_id" as event_id, "action_network:advocacy_campaign_id" as letter_id,
           status
    from read_json('{landing}/actionnetwork_actions/*/*.ndjson', format = 'newline_delimited',
                   ignore_errors = true,
                   columns = {identifiers: 'VARCHAR[]', created_date: 'TIMESTAMP', modified_date: 'TIMESTAMP',
                              "action_network:person_id": 'VARCHAR', "action_network:petition_id": 'VARCHAR',
                              "action_network:form_id": 'VARCHAR', "action_network:event_id": 'VARCHAR',
                              "action_network:advocacy_campaign_id": 'VARCHAR', status: 'VARCHAR'})
    union all
    select from_json(rec -> 'identifiers', '["VARCHAR"]'), try_cast(rec ->> 'created_date' as timestamp),
           try_cast(rec ->> 'modified_date' as timestamp), rec ->> 'action_network:person_id',
           rec ->> 'action_network:petition_id', rec ->> 'action_network:form_id',
           rec ->> 'action_network:event_id', rec ->> 'action_network:advocacy_campaign_id', rec ->> 'status'
    from pages
)
select identifiers[1] as action_id, created_date, modified_date, person_id,
       coalesce(petition_id, form_id, event_id, letter_id) as page_id,
       case when petition_id is not null then 'signed'
            when form_id is not null then 'submitted'
            when event_id is not null then 'rsvped'
            when letter_id is not null then 'wrote' end as kind,
       status
from records;

create table campaigns as select * from read_json('{campaigns_json}');

-- stage: normalise and join
create table person_ids as select row_number() over () as pid, person_id, email, phone from people;
create table email_ids as select distinct on (email) email, pid from person_ids where email is not null;
create table phone_ids as select distinct on (phone) phone, pid from person_ids where length(phone) = 12;

create table email_actions as
select e.pid, c.id as campaign_id, ev.event, ev.machine_open, ev.at_ts
from (select distinct on (sg_event_id) * from events) ev
join email_ids e on e.email = ev.email
join campaigns c on c.email_campaign_id = ev.campaign_id
where ev.event in ('delivered', 'open', 'click', 'bounce', 'unsubscribe');

create table msg as
select distinct on (sid) sid, status, direction, sent_at,
       '+1' || right(regexp_replace(from_raw, '[^0-9]', '', 'g'), 10) as from_e164,
       '+1' || right(regexp_replace(to_raw, '[^0-9]', '', 'g'), 10) as to_e164
from messages;

create table texts as
select p.pid, c.id as campaign_id, m.sent_at
from msg m
join campaigns c on c.sms_from = m.from_e164 and m.sent_at >= c.sms_start and m.sent_at < c.sms_end
join phone_ids p on p.phone = m.to_e164
where m.direction = 'outbound-api' and m.status in ('delivered', 'sent');

create table replies as
select distinct t.pid, t.campaign_id, m.sent_at
from msg m
join phone_ids p on p.phone = m.from_e164
join (select pid, campaign_id, min(sent_at) as first_text from texts group by all) t
  on t.pid = p.pid and m.sent_at > t.first_text
where m.direction = 'inbound';

create table legs as
select distinct on (sid) sid, parent_sid, status, direction, started_at, duration,
       '+1' || right(regexp_replace(from_raw, '[^0-9]', '', 'g'), 10) as from_e164,
       '+1' || right(regexp_replace(to_raw, '[^0-9]', '', 'g'), 10) as to_e164
from calls;

create table made_calls as
select p.pid, n.id as campaign_id, l.started_at
from legs l
left join legs parent on parent.sid = l.parent_sid
join (select id, unnest(call_numbers) as number, min_call_seconds from campaigns) n on n.number = l.to_e164
join phone_ids p on p.phone = case when l.direction = 'inbound' then l.from_e164 else parent.to_e164 end
where l.status = 'completed' and l.duration >= n.min_call_seconds
  and (l.direction = 'inbound' or (l.direction = 'outbound-dial' and parent.direction = 'outbound-api'));

create table action_events as
select p.pid, c.id as campaign_id, a.kind as event, a.created_date as at_ts
from (select distinct on (action_id) * from actions order by action_id, modified_date desc) a
join (select id, unnest(action_pages) as page_id from campaigns) c on c.page_id = a.page_id
join person_ids p on p.person_id = a.person_id
where a.kind <> 'rsvped' or a.status = 'accepted';

-- stage: funnel
create table funnel as
select pid, campaign_id,
       min(at_ts) filter (where event = 'delivered') as first_delivered_at,
       min(at_ts) filter (where event = 'open' and not machine_open) as first_opened_at,
       min(at_ts) filter (where event = 'click') as first_clicked_at,
       min(at_ts) filter (where event = 'texted') as first_texted_at,
       min(at_ts) filter (where event = 'replied') as first_replied_at,
       min(at_ts) filter (where event = 'called') as first_called_at,
       min(at_ts) filter (where event = 'signed') as first_signed_at,
       min(at_ts) filter (where event = 'submitted') as first_submitted_at,
       min(at_ts) filter (where event = 'rsvped') as first_rsvped_at,
       min(at_ts) filter (where event = 'wrote') as first_wrote_at,
       min(at_ts) filter (where event in ('signed', 'submitted', 'rsvped', 'wrote', 'called')) as first_acted_at
from (
    select pid, campaign_id, event, machine_open, at_ts from email_actions
    union all select pid, campaign_id, 'texted', false, sent_at from texts
    union all select pid, campaign_id, 'replied', false, sent_at from replies
    union all select pid, campaign_id, 'called', false, started_at from made_calls
    union all select pid, campaign_id, event, false, at_ts from action_events
)
group by all;
