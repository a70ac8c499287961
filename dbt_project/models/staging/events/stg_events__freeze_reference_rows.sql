-- 동결 기준자료 / Every seed row as a freeze pinned it, as JSON (typed per seed by macro pinned_seed).
select
    freeze_id,
    seed,
    row_number,
    row_values
from {{ source('events', 'freeze_reference_rows') }}
