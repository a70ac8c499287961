-- 사후관리·연속성 평가 / Continuity evaluation: each year as its evaluation view sees it. The
-- continuity gaps of year Y are only known once Y+1 has ended: they come from the view that
-- evaluates Y+1 and are frozen with it (column meta evaluated_in: following_year).
with evaluated as (
    select * from {{ ref('int_continuity') }}
    where {{ evaluated_here() }}
),

observed as (
    select * from {{ ref('int_continuity') }}
    where {{ evaluated_here('view_id', 'year + 1') }}
)

select
    evaluated.center,
    evaluated.year,
    evaluated.firms_supported,
    evaluated.firms_new,
    evaluated.firms_continuing_from_prior_year,
    evaluated.continuation_rate,
    evaluated.firms_advanced_tier,
    evaluated.firms_on_ladder,
    evaluated.firms_graduated,
    evaluated.mentoring_links,
    observed.continuity_gaps,
    evaluated.as_of_position,
    observed.as_of_position as observed_as_of_position
from evaluated
left join observed on evaluated.center = observed.center and evaluated.year = observed.year
order by evaluated.year, evaluated.center = 'all', evaluated.center
