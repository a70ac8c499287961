{{ config(materialized='table') }}
-- Current state of every activity record: the latest event of its stream wins, so an amended
-- record carries its newest content and a voided one disappears.
-- Grouped, not windowed: the streams' figures come from narrow columns, and the latest event of
-- each stream is found by a join instead of sorting every wide row.
with events as (
    select * from {{ ref('stg_center_log__activity_events') }}
),

streams as (
    select
        stream_id,
        count(*) as revisions,
        min(position) as first_position,
        max(stream_version) as latest_version,
        -- the record's own key is that of the stream's first event (corrections carry their own)
        arg_min(center, stream_version) as record_center,
        arg_min(source_record_id, stream_version) as record_id
    from events
    group by stream_id
),

ranked as (
    select
        events.*,
        streams.revisions,
        streams.first_position,
        streams.record_center,
        streams.record_id
    from events
    inner join streams
        on events.stream_id = streams.stream_id and events.stream_version = streams.latest_version
)

select
    record_center || ':' || record_id as activity_key,
    record_center as center,
    record_id,
    source_record_id as latest_record_id,
    event_type = 'activity_amended' as is_amended,
    revisions,
    first_position,
    position as last_position,
    activity_date,
    year(activity_date) as year,
    activity,
    program,
    firm_id,
    firm_name,
    firm_tier,
    product,
    importer_id,
    importer_name,
    channel,
    amount,
    currency,
    quantity,
    mentor_firm_id,
    note,
    extra
from ranked
where event_type <> 'activity_voided'
