-- 과정평가 / Process evaluation: each year as its evaluation view sees it (frozen or live). The
-- observed 12-month figures of year Y are only known once Y+1 has ended: they come from the view
-- that evaluates Y+1 and are frozen with it (column meta evaluated_in: following_year).
with evaluated as (
    select * from {{ ref('int_process_stages') }}
    where {{ evaluated_here() }}
),

observed as (
    select * from {{ ref('int_process_stages') }}
    where {{ evaluated_here('view_id', 'year + 1') }}
)

select
    evaluated.center,
    evaluated.year,
    evaluated.stage_code,
    evaluated.stage_order,
    evaluated.stage_name_ko,
    evaluated.activities,
    evaluated.opportunities,
    evaluated.open_opportunities,
    evaluated.expected_contract_probability,
    evaluated.pipeline_value_usd,
    evaluated.weighted_pipeline_usd,
    evaluated.opportunities_without_value,
    evaluated.share_below_50,
    coalesce(observed.observed_cohort_opportunities, 0) as observed_cohort_opportunities,
    coalesce(observed.observed_contracts, 0) as observed_contracts,
    observed.observed_contract_rate,
    observed.observed_rate_ci_low,
    observed.observed_rate_ci_high,
    coalesce(observed.observed_window_closed, false) as observed_window_closed,
    observed.median_days_in_stage,
    evaluated.as_of_position,
    observed.as_of_position as observed_as_of_position
from evaluated
left join observed
    on evaluated.center = observed.center
        and evaluated.year = observed.year
        and evaluated.stage_code = observed.stage_code
order by evaluated.year, evaluated.center = 'all', evaluated.center, evaluated.stage_order
