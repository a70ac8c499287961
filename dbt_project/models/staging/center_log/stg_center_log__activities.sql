{{ config(materialized='table') }}
-- Current state of every activity record: the latest event of its stream wins, so an amended
-- record carries its newest content and a voided one disappears.
with ranked as (
    select
        *,
        row_number() over (partition by stream order by position desc) as recency,
        count(*) over (partition by stream)                              as revisions,
        min(position) over (partition by stream)                         as first_position
    from {{ ref('stg_center_log__activity_events') }}
)

select
    stream                                         as activity_key,
    split_part(stream, ':', 2)                     as center,
    substr(stream, length('center_log:' || split_part(stream, ':', 2) || ':') + 1) as record_id,
    source_record_id                               as latest_record_id,
    event_type = 'activity_amended'                as is_amended,
    revisions,
    first_position,
    position                                       as last_position,
    activity_date,
    year(activity_date)                            as year,
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
