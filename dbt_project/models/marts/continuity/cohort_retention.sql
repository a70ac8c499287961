-- 코호트 유지율 / First-year cohorts followed for three years, each row in the evaluation of the
-- year it observes (evaluation_year).
select
    center,
    cohort_year,
    years_since_entry,
    evaluation_year,
    cohort_firms,
    retained_firms,
    retention_rate,
    as_of_position
from {{ ref('int_cohort_retention') }}
where {{ evaluated_here('view_id', 'evaluation_year') }}
order by cohort_year, center = 'all', center, years_since_entry
