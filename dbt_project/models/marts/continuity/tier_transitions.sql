-- 기업단계 이동 / Tier transitions Y → Y+1, in the evaluation of Y+1 (evaluation_year).
select
    center,
    from_year,
    from_tier,
    to_tier,
    evaluation_year,
    firms,
    share_of_from_tier,
    as_of_position
from {{ ref('int_tier_transitions') }}
where {{ evaluated_here('view_id', 'evaluation_year') }}
order by from_year, center = 'all', center, from_tier, to_tier
