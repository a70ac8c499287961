{{ config(materialized='table') }}
-- 목표 경로 / Each goal's path per evaluation view: base × (1 + g)^(year − base year) from the base
-- year to the target year (and on while data exists), beside the indicator's actual value.
-- g is the compound growth of the goal's trade_context series over its window (report: the
-- Jeonbuk SME average 2018–2022 of Table 2-8) when the view holds final figures for both ends,
-- else the goal seed's rate.
with seeded as (
    select * from {{ ref('int_pinned__goals') }}
),

goals as (
    select
        seeded.* replace (
            coalesce(trade.compound_growth_rate, seeded.growth_rate) as growth_rate,
            case
                when trade.compound_growth_rate is not null
                    then
                        'KITA 무역통계 / trade statistics: ' || seeded.growth_series || ' compound growth '
                        || seeded.growth_from_year || '–' || seeded.growth_to_year
                else seeded.growth_rate_source
            end as growth_rate_source
        )
    from seeded
    left join {{ ref('int_trade_growth') }} as trade
        on
            seeded.view_id = trade.view_id
            and seeded.growth_series = trade.series
            and seeded.growth_from_year = trade.base_year
            and seeded.growth_to_year = trade.year
            and not trade.is_partial
),

measures as (
    select * from {{ ref('int_indicator_measures') }}
),

years as (
    select
        goals.view_id,
        goals.goal_code,
        unnest(range(goals.base_year, greatest(goals.target_year, max(measures.year)) + 1)) as year
    from goals
    left join measures
        on goals.view_id = measures.view_id
            and goals.indicator_code = measures.indicator_code
            and goals.center = measures.center
    group by goals.view_id, goals.goal_code, goals.base_year, goals.target_year
),

based as (
    select
        years.view_id,
        years.goal_code,
        cast(years.year as integer) as year,
        goals.indicator_code,
        goals.center,
        goals.base_year,
        goals.target_year,
        goals.growth_rate,
        goals.growth_rate_source,
        goals.report_target_usd,
        -- the indicator's long form holds doubles: money again, to the cent it was; the path is
        -- rounded to the cent once, from that base, and attainment is measured against it
        {{ money('base.value') }} as base_value,
        {{ money(money('base.value') ~ ' * power(1 + goals.growth_rate, years.year - goals.base_year)') }}
            as path_value,
        {{ money('actual.value') }} as actual_value
    from years
    inner join goals on years.view_id = goals.view_id and years.goal_code = goals.goal_code
    left join measures as base
        on
            goals.view_id = base.view_id
            and goals.indicator_code = base.indicator_code
            and goals.center = base.center
            and goals.base_year = base.year
    left join measures as actual
        on
            goals.view_id = actual.view_id
            and goals.indicator_code = actual.indicator_code
            and goals.center = actual.center
            and years.year = actual.year
)

select
    based.view_id,
    cast(based.goal_code as varchar) as goal_code,
    based.year,
    cast(based.indicator_code as varchar) as indicator_code,
    cast(based.center as varchar) as center,
    cast(based.base_year as integer) as base_year,
    based.base_value as base_value_usd,
    cast(based.growth_rate as double) as growth_rate,
    cast(based.growth_rate_source as varchar) as growth_rate_source,
    based.path_value as path_value_usd,
    based.actual_value as actual_value_usd,
    cast(based.actual_value / nullif(based.path_value, 0) as double) as attainment_rate,
    based.year = based.target_year as is_target_year,
    {{ money('based.report_target_usd') }} as report_target_usd,
    views.cap_position as as_of_position
from based
inner join {{ ref('int_evaluation_views') }} as views on based.view_id = views.view_id
