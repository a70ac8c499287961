{{ config(materialized='table') }}
-- 코호트 유지 / Firms first supported at a centre in a year (its cohort), followed for three
-- years: how many are supported again 0, 1 and 2 years after entry. A row belongs to the
-- evaluation of the year it observes and exists once that year has ended.
with firms as (
    select
        view_id,
        center,
        firm_id,
        min(year) as cohort_year,
        list(year) as years_supported
    from {{ ref('int_firm_years') }}
    group by view_id, center, firm_id
),

followed as (
    select
        firms.view_id,
        firms.center,
        firms.cohort_year,
        offsets.years_since_entry,
        list_contains(firms.years_supported, firms.cohort_year + offsets.years_since_entry) as retained,
        views.cap_position
    from firms
    cross join (select unnest(range(0, 3)) as years_since_entry) as offsets
    inner join {{ ref('int_evaluation_views') }} as views on firms.view_id = views.view_id
    where {{ year_has_ended('firms.cohort_year + offsets.years_since_entry') }}
)

select
    view_id,
    cast(center as varchar) as center,
    cast(cohort_year as integer) as cohort_year,
    cast(years_since_entry as integer) as years_since_entry,
    cast(cohort_year + years_since_entry as integer) as evaluation_year,
    cast(count(*) as bigint) as cohort_firms,
    cast(count(*) filter (where retained) as bigint) as retained_firms,
    cast(count(*) filter (where retained) / count(*) as double) as retention_rate,
    any_value(cap_position) as as_of_position
from followed
group by view_id, center, cohort_year, years_since_entry
