{{ config(materialized='table') }}
-- 지표값 / Every centre-year indicator per evaluation view with its registry entry, its target
-- (programme targets seed; the goal path for the goal's indicator), attainment and the previous
-- year's value as baseline.
with measures as (
    select * from {{ ref('int_indicator_measures') }}
),

programme_targets as (
    select view_id, indicator_code, center, year, sum(target) as target
    from {{ ref('int_pinned__program_targets') }}
    group by grouping sets ((view_id, indicator_code, center, year), (view_id, indicator_code, year))
),

targets as (
    select view_id, indicator_code, coalesce(center, 'all') as center, year, cast(target as double) as target
    from programme_targets
    union all
    select view_id, indicator_code, center, year, cast(path_value_usd as double) as target
    from {{ ref('int_goal_path') }}
),

active_centre_years as (
    select distinct view_id, center, year from measures
),

keyed as (
    select view_id, indicator_code, center, year from measures
    union
    select view_id, indicator_code, center, year from targets
),

valued as (
    select
        keyed.*,
        measures.value,
        measures.indicator_code is not null as is_measured,
        active_centre_years.view_id is not null as is_active,
        targets.target,
        lag(measures.value) over previous_years as previous_value,
        lag(keyed.year) over previous_years as previous_year
    from keyed
    left join measures using (view_id, indicator_code, center, year)
    left join targets using (view_id, indicator_code, center, year)
    left join active_centre_years using (view_id, center, year)
    window previous_years as (partition by keyed.view_id, keyed.indicator_code, keyed.center order by keyed.year)
)

select
    valued.view_id,
    cast(valued.indicator_code as varchar) as indicator_code,
    cast(valued.center as varchar) as center,
    cast(valued.year as integer) as year,
    cast(registry.evaluation as varchar) as evaluation,
    cast(registry.name_ko as varchar) as name_ko,
    cast(registry.name_en as varchar) as name_en,
    cast(registry.unit as varchar) as unit,
    cast(registry.aggregation as varchar) as aggregation,
    cast(registry.higher_is_better as boolean) as higher_is_better,
    -- a target without any activity in a centre-year that has data is 0 attained; a rate, or a
    -- year without data yet, stays unknown
    cast(case
        when valued.is_measured then valued.value
        when valued.is_active and registry.unit <> 'fraction' then 0
    end as double) as value,
    valued.target,
    cast(case
        when valued.target > 0 and registry.higher_is_better and (valued.is_measured or valued.is_active)
            then coalesce(valued.value, 0) / valued.target
        when valued.value > 0 and not registry.higher_is_better then valued.target / valued.value
    end as double) as attainment_rate,
    cast(case when valued.previous_year = valued.year - 1 then valued.previous_value end as double) as baseline,
    -- a figure known only once the next year has ended belongs to that year's evaluation
    cast(valued.year + case when registry.evaluated_in = 'following_year' then 1 else 0 end as integer)
        as evaluation_year,
    views.cap_position as as_of_position
from valued
inner join {{ ref('int_pinned__indicators') }} as registry
    on valued.view_id = registry.view_id and valued.indicator_code = registry.indicator_code
inner join {{ ref('int_evaluation_views') }} as views on valued.view_id = views.view_id
