-- 평가 동결 / The frozen annual evaluations as `freeze` recorded them (the latest of a year applies).
select
    freeze_id,
    year,
    store_position,
    evaluated_on,
    frozen_at,
    replaces_freeze_id
from {{ source('events', 'evaluation_freezes') }}
