{{ config(materialized='table') }}
-- 연평균 성장률 / Compound yearly growth of every trade_context series over every window of
-- years it has: (value in year ÷ value in base_year)^(1 / (year − base_year)) − 1. Table 2-8's
-- averages are the 2018–2022 windows.
with series as (
    select view_id, series, year, value_usd, is_partial
    from {{ ref('int_trade_context') }}
)

select
    base.view_id,
    base.series,
    base.year as base_year,
    last.year,
    base.value_usd as base_value_usd,
    last.value_usd,
    cast(
        case
            when base.value_usd > 0 and last.value_usd >= 0
                then power(last.value_usd / base.value_usd, 1.0 / (last.year - base.year)) - 1
        end as double
    ) as compound_growth_rate,
    base.is_partial or last.is_partial as is_partial
from series as base
inner join series as last
    on
        base.view_id = last.view_id
        and base.series = last.series
        and base.year < last.year
