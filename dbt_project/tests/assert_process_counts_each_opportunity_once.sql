{{ config(meta={'dagster': {'ref': {'name': 'process_evaluation'}}}) }}
-- Each opportunity counts once, at its furthest stage: the stage rows of a centre-year add up to
-- the distinct (centre, firm, importer-or-none) keys with a stage activity that year, counted
-- here from the activities themselves; and the weighted pipeline never exceeds the open value
-- (each p × value is rounded to the cent and p <= 1, so not by a cent either).
with active as (
    select center, year, count(distinct [firm_id, coalesce(importer_id, '')]) as opportunities
    from {{ ref('int_activities') }}
    where stage_code is not null and firm_id is not null and {{ evaluated_here() }}
    group by center, year
)

select p.center, p.year
from {{ ref('process_evaluation') }} as p
left join active as a on p.center = a.center and p.year = a.year
where p.center <> 'all'
group by p.center, p.year, a.opportunities
having
    sum(p.opportunities) <> coalesce(a.opportunities, 0)
    or sum(p.weighted_pipeline_usd) > sum(p.pipeline_value_usd)
