-- 사업별 실적 / Programme indicators (registry rows with a programme) per evaluation view, centre
-- (and `all`) and year: firms selected into the programme, or the summed 수량 of its activity.
with registry as (
    select view_id, indicator_code, program_code, measure_activity
    from {{ ref('int_pinned__indicators') }}
    where program_code is not null
)

select
    activities.view_id,
    registry.indicator_code,
    coalesce(activities.center, 'all') as center,
    activities.year,
    case
        when any_value(registry.measure_activity) = 'firm_enrolled' then count(distinct activities.firm_id)
        else sum(activities.quantity)
    end as value
from {{ ref('int_activities') }} as activities
inner join registry
    on
        activities.view_id = registry.view_id
        and activities.activity = registry.measure_activity
        and (registry.measure_activity <> 'firm_enrolled' or activities.program = registry.program_code)
group by grouping sets (
    (activities.view_id, registry.indicator_code, activities.center, activities.year),
    (activities.view_id, registry.indicator_code, activities.year)
)
