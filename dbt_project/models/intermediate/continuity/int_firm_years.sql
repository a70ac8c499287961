{{ config(materialized='table') }}
-- 기업-연도 / One row per evaluation view, centre (and `all`), firm and year the firm was
-- supported (any firm-facing activity), with its tier that year: the ladder programme it was
-- selected into (partner_info → beginner … partner_aftercare → star), else the tier written at
-- its selection, else any tier written that year, else the last tier known before.
-- The previous and next supported years come from windows, not from joining the table to itself.
with tiers as (
    select view_id, tier_code, tier_rank from {{ ref('int_pinned__tiers') }}
),

ladder as (
    select programs.view_id, programs.program_code, tiers.tier_rank
    from {{ ref('int_pinned__programs') }} as programs
    inner join tiers on programs.view_id = tiers.view_id and programs.ladder_tier = tiers.tier_code
),

firm_activities as (
    select
        activities.view_id,
        activities.center,
        activities.firm_id,
        activities.year,
        activities.activity,
        ladder.tier_rank as ladder_rank,
        written.tier_rank as written_rank
    from {{ ref('int_activities') }} as activities
    left join ladder
        on
            activities.view_id = ladder.view_id
            and activities.program = ladder.program_code
            and activities.activity = 'firm_enrolled'
    left join tiers as written
        on activities.view_id = written.view_id and activities.firm_tier = written.tier_code
    where activities.is_firm_facing and activities.firm_id is not null
),

yearly as (
    select
        view_id,
        coalesce(center, 'all') as center,
        firm_id,
        year,
        coalesce(
            max(ladder_rank),
            max(written_rank) filter (where activity = 'firm_enrolled'),
            max(written_rank)
        ) as tier_rank_written,
        max(ladder_rank) is not null as on_ladder,
        bool_or(activity = 'firm_enrolled') as enrolled,
        bool_or(activity = 'firm_graduated') as graduated
    from firm_activities
    group by grouping sets ((view_id, center, firm_id, year), (view_id, firm_id, year))
),

carried as (
    select
        *,
        last_value(tier_rank_written ignore nulls) over firm_path as tier_rank,
        min(year) over (partition by view_id, center, firm_id) as first_year,
        lag(year) over firm_path as previous_year,
        lead(year) over firm_path as next_year
    from yearly
    window firm_path as (
        partition by view_id, center, firm_id order by year rows between unbounded preceding and current row
    )
)

select
    carried.view_id,
    carried.center,
    carried.firm_id,
    carried.year,
    carried.first_year,
    coalesce(tiers.tier_code, 'unknown') as tier_code,
    carried.tier_rank,
    lag(carried.tier_rank) over firm_years as previous_tier_rank,
    carried.previous_year = carried.year - 1 as supported_previous_year,
    carried.next_year = carried.year + 1 as supported_next_year,
    coalesce(lead(tiers.tier_code) over firm_years, 'unknown') as next_tier_code,
    carried.on_ladder,
    carried.enrolled,
    carried.graduated
from carried
left join tiers on carried.view_id = tiers.view_id and carried.tier_rank = tiers.tier_rank
window firm_years as (partition by carried.view_id, carried.center, carried.firm_id order by carried.year)
