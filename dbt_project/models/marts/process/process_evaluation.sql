-- 과정평가 / Process evaluation: each year as its evaluation view sees it (frozen or live).
select
    center,
    year,
    stage_code,
    stage_order,
    stage_name_ko,
    activities,
    opportunities,
    open_opportunities,
    expected_contract_probability,
    pipeline_value_usd,
    weighted_pipeline_usd,
    opportunities_without_value,
    share_below_50,
    observed_cohort_opportunities,
    observed_contracts,
    observed_contract_rate,
    observed_rate_ci_low,
    observed_rate_ci_high,
    observed_window_closed,
    median_days_in_stage,
    as_of_position
from {{ ref('int_process_stages') }}
where {{ evaluated_here() }}
order by year, center = 'all', center, stage_order
