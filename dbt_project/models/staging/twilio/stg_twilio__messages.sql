-- Twilio messages as landed, renamed and cleaned: one row per raw row. A
-- view: int_sms_messages counts each sid once (its first landed copy) and
-- stores it with its person, so bodies are written once after raw.
select
    cast(sid as {{ dbt.type_string() }}) as message_sid,
    lower({{ blank_to_null('direction') }}) as direction,
    lower({{ blank_to_null('status') }}) as status,
    {{ blank_to_null('from_number') }} as from_number,
    {{ blank_to_null('to_number') }} as to_number,
    {{ blank_to_null('from_e164') }} as from_e164,
    {{ blank_to_null('to_e164') }} as to_e164,
    body,
    cast(sent_at as {{ dbt.type_timestamp() }}) as sent_at,
    cast(num_segments as {{ dbt.type_int() }}) as num_segments,
    cast(error_code as {{ dbt.type_int() }}) as error_code,
    -- opt_out / opt_in, classified once at ingest (pipelines/lib/ingest.py
    -- keyword_of: Unicode-normalised, case-folded; inbound texts only)
    keyword_action,
    _source_file as source_file,
    cast(_loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
from {{ source('raw', 'twilio_messages') }}
where sid is not null
