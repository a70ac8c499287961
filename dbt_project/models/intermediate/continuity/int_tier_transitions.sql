{{ config(materialized='table') }}
-- 단계 이동 / Where each tier's firms of year Y were in Y+1: their tier then, `graduated` (a
-- graduation ends its ladder with Y: dated in Y, or in Y+1 before any ladder selection of Y+1) or
-- `dropped` (no support in Y+1). A graduate's later years are on no tier and have no row. A row
-- exists once Y+1 has ended, and belongs to the evaluation of Y+1, the year its outcome is known.
with moves as (
    select
        firm_years.view_id,
        firm_years.center,
        firm_years.year as from_year,
        firm_years.tier_code as from_tier,
        case
            when firm_years.ends_ladder then 'graduated'
            when firm_years.supported_next_year then firm_years.next_tier_code
            else 'dropped'
        end as to_tier,
        views.cap_position
    from {{ ref('int_firm_years') }} as firm_years
    inner join {{ ref('int_evaluation_views') }} as views on firm_years.view_id = views.view_id
    where not firm_years.after_graduation and {{ year_has_ended('firm_years.year + 1') }}
),

counted as (
    select view_id, center, from_year, from_tier, to_tier, any_value(cap_position) as as_of_position, count(*) as firms
    from moves
    group by view_id, center, from_year, from_tier, to_tier
)

select
    view_id,
    cast(center as varchar) as center,
    cast(from_year as integer) as from_year,
    cast(from_tier as varchar) as from_tier,
    cast(to_tier as varchar) as to_tier,
    cast(from_year + 1 as integer) as evaluation_year,
    cast(firms as bigint) as firms,
    cast(firms / sum(firms) over (partition by view_id, center, from_year, from_tier) as double) as share_of_from_tier,
    as_of_position
from counted
