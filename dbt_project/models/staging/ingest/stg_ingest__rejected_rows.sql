-- Every row or value ingest could not read, with its file, line and reason.
select
    source,
    file,
    line,
    reason,
    raw_value,
    cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
from {{ source('raw', 'rejected_rows') }}
