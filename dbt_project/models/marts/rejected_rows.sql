-- The data manager's quarantine, for the Data health page: every row or value
-- ingest could not read. A copy in the published warehouse (raw is never
-- published); small, as rejected rows are.
select
    source,
    file,
    line,
    reason,
    raw_value,
    loaded_at
from {{ ref('stg_ingest__rejected_rows') }}
