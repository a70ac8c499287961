{{ config(materialized='table') }}
-- 과정평가 / Process evaluation per evaluation view, centre (and `all`), year and stage: what
-- int_process_stage_counts counts, beside the contract rate observed for the opportunities that
-- reached the stage in the year (with its Wilson interval, once every 12-month window has closed).
with observed as (
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

joined as (
    select
        counts.*,
        coalesce(observed.observed_cohort_opportunities, 0) as observed_cohort_opportunities,
        coalesce(observed.observed_contracts, 0) as observed_contracts,
        observed.median_days_in_stage,
        -- every window of the year's cohort (12 months after reaching the stage) ends by the end of the next year
        {{ year_has_ended('counts.year + 1') }} as observed_window_closed,
        views.cap_position as as_of_position
    from {{ ref('int_process_stage_counts') }} as counts
    left join observed using (view_id, center, year, stage_code)
    inner join {{ ref('int_evaluation_views') }} as views on counts.view_id = views.view_id
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
