{{ config(materialized='table') }}
-- 무역통계 / Every K-stat or Korea Customs figure as each evaluation view sees it: of the
-- snapshots of the same region, firm size, country, item (MTI or HS), si-gun and period at or
-- below the view's position, the one retrieved last wins (supersede); an equal retrieval date
-- goes to the later stored event.
-- The earlier snapshots stay in the store and are counted in `snapshots`. Amounts are money
-- (macros/money.sql): the ingest multiplied the file's unit (천달러 …) out in floating point, and
-- here they are rounded to the cent once.
with events as (
    {{ events_seen_by_views('stg_trade__statistic_events') }}
),

ranked as (
    select
        *,
        row_number() over (
            partition by view_id, region, firm_size, country, item_code, hs_code, sigun, period
            order by retrieved_on desc, position desc
        ) as newest_first,
        count(*) over (
            partition by view_id, region, firm_size, country, item_code, hs_code, sigun, period
        ) as snapshots
    from events
)

select
    view_id,
    region,
    firm_size,
    country,
    item_code,
    hs_code,
    sigun,
    period,
    cast(left(period, 4) as integer) as year,
    length(period) = 4 as is_year,
    status = 'partial' as is_partial,
    label,
    {{ money('export_usd') }} as export_usd,
    export_growth_pct,
    {{ money('import_usd') }} as import_usd,
    import_growth_pct,
    {{ money('balance_usd') }} as balance_usd,
    export_kg,
    import_kg,
    retrieved_on,
    retrieved_from,
    snapshots,
    position
from ranked
where newest_first = 1
