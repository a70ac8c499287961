-- One row per centre-log event, payload typed. Schema version 1 is the only one so far: a
-- later version is upcast here, when read, never by rewriting stored events.
select
    position,
    event_id,
    stream_id,
    stream_version,
    event_type,
    schema_version,
    recorded_at,
    batch_id,
    source_row,
    corrects_event_id,
    payload ->> 'record_id' as source_record_id,
    payload ->> 'center' as center,
    cast(payload ->> 'date' as date) as activity_date,
    payload ->> 'activity' as activity,
    payload ->> 'program' as program,
    payload ->> 'firm_id' as firm_id,
    payload ->> 'firm_name' as firm_name,
    payload ->> 'firm_tier' as firm_tier,
    payload ->> 'product' as product,
    payload ->> 'importer_id' as importer_id,
    payload ->> 'importer_name' as importer_name,
    payload ->> 'channel' as channel,
    cast(payload ->> 'amount' as double) as amount,
    payload ->> 'currency' as currency,
    cast(payload ->> 'quantity' as bigint) as quantity,
    payload ->> 'correction' as correction,
    payload ->> 'corrects_record_id' as corrects_record_id,
    payload ->> 'mentor_firm_id' as mentor_firm_id,
    payload ->> 'note' as note,
    payload -> 'extra' as extra
from {{ source('events', 'center_log_events') }}
where source_kind = 'center_log'
    and {{ as_of_position_filter('position') }}
