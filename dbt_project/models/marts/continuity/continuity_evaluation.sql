-- 사후관리·연속성 평가 / Continuity evaluation: each year as its evaluation view sees it.
select
    center,
    year,
    firms_supported,
    firms_new,
    firms_continuing_from_prior_year,
    continuation_rate,
    firms_advanced_tier,
    firms_on_ladder,
    firms_graduated,
    mentoring_links,
    continuity_gaps,
    as_of_position
from {{ ref('int_continuity') }}
where {{ evaluated_here() }}
order by year, center = 'all', center
