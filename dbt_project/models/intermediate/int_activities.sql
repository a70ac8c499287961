{{ config(materialized='table') }}
-- Current state of every activity record in each evaluation view: the latest event of its
-- stream at or below the view's position wins, so an amended record carries its newest content
-- and a voided one disappears. Amounts in USD at the yearly average rate of the view's FX seed.
-- Grouped, not windowed: the streams' figures come from narrow columns, and the latest event of
-- each stream is found by a join instead of sorting every wide row.
-- Money (macros/money.sql): the amount in its currency to the cent, and amount_usd converted
-- here, once, rounded half away from zero to the cent, so that every sum of it is exact and a
-- rebuild gives the same marts to the last digit. An amount whose currency has no rate for its
-- year yet stays NULL (and is counted in the marts) until the seed has one.
with events as (
    {{ events_seen_by_views('stg_center_log__activity_events') }}
),

streams as (
    select
        view_id,
        stream_id,
        count(*) as revisions,
        min(position) as first_position,
        max(stream_version) as latest_version,
        -- the record's own key is that of the stream's first event (corrections carry their own)
        arg_min(center, stream_version) as record_center,
        arg_min(source_record_id, stream_version) as record_id
    from events
    group by view_id, stream_id
),

latest as (
    select
        events.*,
        streams.revisions,
        streams.first_position,
        streams.record_center,
        streams.record_id
    from events
    inner join streams
        on
            events.view_id = streams.view_id
            and events.stream_id = streams.stream_id
            and events.stream_version = streams.latest_version
    where events.event_type <> 'activity_voided'
)

select
    latest.view_id,
    latest.record_center || ':' || latest.record_id as activity_key,
    latest.record_center as center,
    latest.record_id,
    latest.source_record_id as latest_record_id,
    latest.event_type = 'activity_amended' as is_amended,
    latest.revisions,
    latest.first_position,
    latest.position as last_position,
    latest.activity_date,
    year(latest.activity_date) as year,
    latest.activity,
    latest.program,
    latest.firm_id,
    latest.firm_name,
    latest.firm_tier,
    latest.product,
    latest.importer_id,
    latest.importer_name,
    latest.channel,
    {{ money('latest.amount') }} as amount,
    latest.currency,
    latest.quantity,
    latest.mentor_firm_id,
    latest.note,
    latest.extra,
    {{ usd_of(money('latest.amount'), "case when latest.currency = 'USD' then 1 else fx.units_per_usd end") }}
        as amount_usd,
    case when latest.currency = 'USD' then 1 else fx.units_per_usd end as fx_units_per_usd,
    catalogue.needs_firm as is_firm_facing,
    catalogue.stage_code
from latest
left join {{ ref('int_pinned__fx_rates_usd') }} as fx
    on
        latest.view_id = fx.view_id
        and latest.currency = fx.currency
        and year(latest.activity_date) = fx.year
left join {{ ref('int_pinned__activities') }} as catalogue
    on
        latest.view_id = catalogue.view_id
        and latest.activity = catalogue.activity_code
