-- Each opportunity counts once, at its furthest stage: the stage rows of a centre-year add up
-- to the opportunities active that year, and the weighted pipeline never exceeds the open
-- pipeline's value.
with opportunities as (
    select center, year, count(*) as active
    from {{ ref('int_opportunity_years') }}
    where {{ evaluated_here() }}
    group by center, year
)

select p.center, p.year
from {{ ref('process_evaluation') }} as p
left join opportunities as o on p.center = o.center and p.year = o.year
where p.center <> 'all'
group by p.center, p.year, o.active
having sum(p.opportunities) <> coalesce(o.active, 0)
    or sum(p.weighted_pipeline_usd) > sum(p.pipeline_value_usd) + 0.01
