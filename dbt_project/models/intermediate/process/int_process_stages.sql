{{ config(materialized='table') }}
-- 과정평가 / Process evaluation per evaluation view, centre (and `all`), year and stage. Each
-- opportunity active in the year is counted once, at its furthest stage as of 31 December; the
-- weighted pipeline sums p(furthest stage) × latest known value over the open ones only.
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

observed as (
    select
        view_id,
        coalesce(center, 'all') as center,
        reached_year as year,
        stage_code,
        count(*) as observed_cohort_opportunities,
        count(*) filter (where won_within_window) as observed_contracts,
        median(days_in_stage) filter (where days_in_stage is not null) as median_days_in_stage
    from {{ ref('int_opportunity_stages') }}
    group by grouping sets ((view_id, center, reached_year, stage_code), (view_id, reached_year, stage_code))
),

grid as (
    select
        centre_years.*,
        stages.stage_code,
        stages.stage_order,
        stages.name_ko as stage_name_ko
    from centre_years
    inner join {{ ref('int_pinned__process_stages') }} as stages on centre_years.view_id = stages.view_id
),

joined as (
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
        coalesce(furthest.opportunities_without_value, 0) as opportunities_without_value,
        coalesce(observed.observed_cohort_opportunities, 0) as observed_cohort_opportunities,
        coalesce(observed.observed_contracts, 0) as observed_contracts,
        observed.median_days_in_stage,
        -- every window of the year's cohort (12 months after reaching the stage) ends by the end of the next year
        {{ year_has_ended('grid.year + 1') }} as observed_window_closed,
        views.cap_position as as_of_position
    from grid
    left join activity_counts using (view_id, center, year, stage_code)
    left join furthest using (view_id, center, year, stage_code)
    left join observed using (view_id, center, year, stage_code)
    inner join {{ ref('int_evaluation_views') }} as views on grid.view_id = views.view_id
    asof inner join {{ ref('int_pinned__process_stage_weights') }} as weights
        on
            grid.view_id = weights.view_id
            and grid.stage_code = weights.stage_code
            and grid.year >= weights.effective_year
)

select
    view_id,
    cast(center as varchar) as center,
    cast(year as integer) as year,
    cast(stage_code as varchar) as stage_code,
    cast(stage_order as integer) as stage_order,
    cast(stage_name_ko as varchar) as stage_name_ko,
    cast(activities as bigint) as activities,
    cast(opportunities as bigint) as opportunities,
    cast(open_opportunities as bigint) as open_opportunities,
    cast(expected_contract_probability as double) as expected_contract_probability,
    {{ money('pipeline_value_usd') }} as pipeline_value_usd,
    {{ money('weighted_pipeline_usd') }} as weighted_pipeline_usd,
    cast(opportunities_without_value as bigint) as opportunities_without_value,
    cast(share_below_50 as double) as share_below_50,
    cast(observed_cohort_opportunities as bigint) as observed_cohort_opportunities,
    cast(observed_contracts as bigint) as observed_contracts,
    cast(case when observed_window_closed and observed_cohort_opportunities > 0
            then observed_contracts / observed_cohort_opportunities
    end as double) as observed_contract_rate,
    cast(case when observed_window_closed then
            {{ wilson_bound('observed_contracts', 'observed_cohort_opportunities', '-') }}
    end as double)
        as observed_rate_ci_low,
    cast(case when observed_window_closed then
            {{ wilson_bound('observed_contracts', 'observed_cohort_opportunities', '+') }}
    end as double)
        as observed_rate_ci_high,
    observed_window_closed,
    cast(median_days_in_stage as double) as median_days_in_stage,
    as_of_position
from joined
