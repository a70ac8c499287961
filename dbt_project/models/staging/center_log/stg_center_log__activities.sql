{{ config(materialized='table') }}
-- Current state of every activity record: the latest event of its stream wins, so an amended
-- record carries its newest content and a voided one disappears.
with ranked as (
    select
        *,
        row_number() over (partition by stream_id order by stream_version desc) as recency,
        count(*) over (partition by stream_id) as revisions,
        min(position) over (partition by stream_id) as first_position,
        -- the record's own key is that of the stream's first event (corrections carry their own)
        first_value(center) over stream_order as record_center,
        first_value(source_record_id) over stream_order as record_id
    from {{ ref('stg_center_log__activity_events') }}
    window stream_order as (partition by stream_id order by stream_version)
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
where recency = 1
    and event_type <> 'activity_voided'
