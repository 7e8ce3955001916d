-- Every landed file loaded, once per content (sha256), with its row counts.
select
    source,
    file,
    sha256,
    rows_loaded,
    rows_rejected,
    cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at
from {{ source('raw', 'loaded_files') }}
