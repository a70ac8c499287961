{{ config(materialized='table') }}
-- 사후관리·연속성 / Continuity per evaluation view, centre (and `all`) and year. A continuity gap of
-- year Y: a firm supported in Y with an opportunity still open at 31 December Y whose furthest
-- stage has a probability of at least continuity_gap_probability (seed evaluation_parameters), and no support in Y+1 —
-- counted in Y's row once Y+1 has ended, null before.
with hot_opportunities as (
    select distinct
        opportunity_years.view_id, opportunity_years.center, opportunity_years.firm_id, opportunity_years.year
    from {{ ref('int_opportunity_years') }} as opportunity_years
    inner join {{ ref('int_evaluation_parameters') }} as params on opportunity_years.view_id = params.view_id
    where
        opportunity_years.is_open
        and opportunity_years.expected_contract_probability >= params.continuity_gap_probability
),

hot_firms as (
    select view_id, center, firm_id, year from hot_opportunities
    union
    select view_id, 'all' as center, firm_id, year from hot_opportunities
),

firm_years as (
    select
        firm_years.*,
        hot_firms.firm_id is not null as has_hot_opportunity
    from {{ ref('int_firm_years') }} as firm_years
    left join hot_firms using (view_id, center, firm_id, year)
),

counts as (
    select
        view_id,
        center,
        year,
        count(*) as firms_supported,
        count(*) filter (where first_year = year) as firms_new,
        count(*) filter (where supported_previous_year) as firms_continuing_from_prior_year,
        count(*) filter (where supported_previous_year and tier_rank > previous_tier_rank) as firms_advanced_tier,
        count(*) filter (where on_ladder) as firms_on_ladder,
        count(*) filter (where graduated) as firms_graduated,
        count(*) filter (where has_hot_opportunity and not coalesce(supported_next_year, false)) as gaps_so_far
    from firm_years
    group by view_id, center, year
),

mentoring as (
    select
        view_id,
        coalesce(center, 'all') as center,
        year,
        count(distinct [mentor_firm_id, firm_id]) as mentoring_links
    from {{ ref('int_activities') }}
    where activity = 'mentoring' and mentor_firm_id is not null
    group by grouping sets ((view_id, center, year), (view_id, year))
)

select
    counts.view_id,
    cast(counts.center as varchar) as center,
    cast(counts.year as integer) as year,
    cast(counts.firms_supported as bigint) as firms_supported,
    cast(counts.firms_new as bigint) as firms_new,
    cast(counts.firms_continuing_from_prior_year as bigint) as firms_continuing_from_prior_year,
    cast(case when lag(counts.year) over centre_path = counts.year - 1
            then counts.firms_continuing_from_prior_year / lag(counts.firms_supported) over centre_path
    end as double) as continuation_rate,
    cast(counts.firms_advanced_tier as bigint) as firms_advanced_tier,
    cast(counts.firms_on_ladder as bigint) as firms_on_ladder,
    cast(counts.firms_graduated as bigint) as firms_graduated,
    cast(coalesce(mentoring.mentoring_links, 0) as bigint) as mentoring_links,
    cast(case when {{ year_has_ended('counts.year + 1') }} then counts.gaps_so_far end as bigint) as continuity_gaps,
    views.cap_position as as_of_position
from counts
left join mentoring using (view_id, center, year)
inner join {{ ref('int_evaluation_views') }} as views on counts.view_id = views.view_id
window centre_path as (partition by counts.view_id, counts.center order by counts.year)
