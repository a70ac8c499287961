{{ config(materialized='table') }}
-- 무역통계 / Every K-stat figure as each evaluation view sees it: of the snapshots of the same
-- region, firm size, country, item, si-gun and period at or below the view's position, the one
-- retrieved last wins (supersede); an equal retrieval date goes to the later stored event.
-- The earlier snapshots stay in the store and are counted in `snapshots`.
with events as (
    select
        views.view_id,
        events.*
    from {{ ref('stg_trade__statistic_events') }} as events
    inner join {{ ref('int_evaluation_views') }} as views
        on events.position <= views.cap_position
),

ranked as (
    select
        *,
        row_number() over (
            partition by view_id, region, firm_size, country, item_code, sigun, period
            order by retrieved_on desc, position desc
        ) as newest_first,
        count(*) over (
            partition by view_id, region, firm_size, country, item_code, sigun, period
        ) as snapshots
    from events
)

select
    view_id,
    region,
    firm_size,
    country,
    item_code,
    sigun,
    period,
    cast(left(period, 4) as integer) as year,
    length(period) = 4 as is_year,
    status = 'partial' as is_partial,
    label,
    export_usd,
    export_growth_pct,
    import_usd,
    import_growth_pct,
    balance_usd,
    export_kg,
    import_kg,
    retrieved_on,
    retrieved_from,
    snapshots,
    position
from ranked
where newest_first = 1
