-- 2026 목표 경로 / Goal paths (e.g. exports of centre-using firms to 2026) with base, rate and actuals.
select
    goal_code,
    year,
    indicator_code,
    center,
    base_year,
    base_value_usd,
    growth_rate,
    growth_rate_source,
    path_value_usd,
    actual_value_usd,
    attainment_rate,
    is_target_year,
    report_target_usd,
    as_of_position
from {{ ref('int_goal_path') }}
where {{ evaluated_here() }}
order by goal_code, year
