-- 저장소 위치 / Every event's position and kind: the store's head is its largest position.
select
    position,
    source_kind
from {{ source('events', 'event_store') }}
