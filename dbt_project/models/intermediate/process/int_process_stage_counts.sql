{{ config(materialized='table') }}
-- 과정 단계별 건수 / What the process evaluation counts per evaluation view, centre (and `all`), year
-- and stage: the stage's activities; each opportunity active in the year once, at its furthest
-- stage as of 31 December (open ones, their pipeline and weighted pipeline); the stage's probability
-- in force that year, and the centre-year's share of opportunities below the low-probability threshold.
with activity_counts as (
    select view_id, coalesce(center, 'all') as center, year, stage_code, sum(quantity) as activities
    from {{ ref('int_stage_events') }}
    group by grouping sets ((view_id, center, year, stage_code), (view_id, year, stage_code))
),

furthest as (
    select
        view_id,
        coalesce(center, 'all') as center,
        year,
        furthest_stage_code as stage_code,
        count(*) as opportunities,
        count(*) filter (where is_open) as open_opportunities,
        coalesce(sum(latest_value_usd) filter (where is_open), 0) as pipeline_value_usd,
        -- p × value rounded to the cent per opportunity (money.sql), so that the centres' and the
        -- stages' cents add up exactly to the `all` row's; the value widened first, as DuckDB keeps
        -- decimal(18, 2) × decimal(9, 6) within 18 digits (an overflow from USD 10^10)
        coalesce(
            sum(
                {{ money(
                    'cast(expected_contract_probability as decimal(9, 6)) * cast(latest_value_usd as decimal(38, 2))'
                ) }}
            ) filter (where is_open),
            0
        ) as weighted_pipeline_usd,
        count(*) filter (where is_open and latest_value_usd is null) as opportunities_without_value
    from {{ ref('int_opportunity_years') }}
    group by grouping sets ((view_id, center, year, furthest_stage_code), (view_id, year, furthest_stage_code))
),

centre_years as (
    select
        opportunity_years.view_id,
        coalesce(opportunity_years.center, 'all') as center,
        opportunity_years.year,
        avg(cast(opportunity_years.expected_contract_probability < params.low_probability_threshold as double))
            as share_below_50
    from {{ ref('int_opportunity_years') }} as opportunity_years
    inner join {{ ref('int_evaluation_parameters') }} as params on opportunity_years.view_id = params.view_id
    group by grouping sets (
        (opportunity_years.view_id, opportunity_years.center, opportunity_years.year),
        (opportunity_years.view_id, opportunity_years.year)
    )
),

grid as (
    select
        centre_years.*,
        stages.stage_code,
        stages.stage_order,
        stages.name_ko as stage_name_ko
    from centre_years
    inner join {{ ref('int_pinned__process_stages') }} as stages on centre_years.view_id = stages.view_id
)

select
    grid.view_id,
    grid.center,
    grid.year,
    grid.stage_code,
    grid.stage_order,
    grid.stage_name_ko,
    grid.share_below_50,
    weights.expected_contract_probability,
    coalesce(activity_counts.activities, 0) as activities,
    coalesce(furthest.opportunities, 0) as opportunities,
    coalesce(furthest.open_opportunities, 0) as open_opportunities,
    coalesce(furthest.pipeline_value_usd, 0) as pipeline_value_usd,
    coalesce(furthest.weighted_pipeline_usd, 0) as weighted_pipeline_usd,
    coalesce(furthest.opportunities_without_value, 0) as opportunities_without_value
from grid
left join activity_counts using (view_id, center, year, stage_code)
left join furthest using (view_id, center, year, stage_code)
asof inner join {{ ref('int_pinned__process_stage_weights') }} as weights
    on
        grid.view_id = weights.view_id
        and grid.stage_code = weights.stage_code
        and grid.year >= weights.effective_year
