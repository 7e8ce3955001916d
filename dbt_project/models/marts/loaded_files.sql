-- What landed and when, for the Data health page's freshness: one row per
-- landed file loaded. A copy in the published warehouse (raw is never published).
select
    source,
    file,
    sha256,
    rows_loaded,
    rows_rejected,
    loaded_at
from {{ ref('stg_ingest__loaded_files') }}
