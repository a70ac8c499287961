{{ config(materialized='table') }}
-- 기업-연도 / One row per evaluation view, centre (and `all`), firm and year the firm was
-- supported (any firm-facing activity), with its tier that year: the ladder programme it was
-- selected into (partner_info → beginner … partner_aftercare → star), else the tier written at
-- its selection, else any tier written that year, else the last tier known before.
-- A graduation ends the ladder with the firm's last ladder year, whichever side of New Year it is
-- recorded: dated in Y, it ends Y−1 when the firm's latest ladder selection before it was in Y−1
-- (a ceremony in January), else Y. From the next year the firm is a graduate (tier `graduated`,
-- on no tier) until a ladder programme selects it again.
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
        activities.activity_date,
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

ladder_steps as (
    select view_id, center, firm_id, year, activity_date, activity = 'firm_graduated' as is_graduation
    from firm_activities
    where ladder_rank is not null or activity = 'firm_graduated'
),

ladder_steps_by_level as (
    select * from ladder_steps
    union all
    select view_id, 'all' as center, firm_id, year, activity_date, is_graduation from ladder_steps
),

last_selections as (
    select
        *,
        -- a selection on the graduation's own day comes before it
        last_value(case when not is_graduation then year end ignore nulls) over (
            partition by view_id, center, firm_id order by activity_date, is_graduation
            rows between unbounded preceding and current row
        ) as last_selection_year
    from ladder_steps_by_level
),

ladder_ends as (
    select distinct
        view_id,
        center,
        firm_id,
        case when last_selection_year = year - 1 then year - 1 else year end as year
    from last_selections
    where is_graduation
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

marked as (
    select
        yearly.*,
        ladder_ends.year is not null as ends_ladder,
        max(case when ladder_ends.year is not null then yearly.year end) over before_this_year as graduated_in,
        max(case when yearly.on_ladder then yearly.year end) over firm_path as last_ladder_year
    from yearly
    left join ladder_ends using (view_id, center, firm_id, year)
    window
        firm_path as (
            partition by yearly.view_id, yearly.center, yearly.firm_id
            order by yearly.year rows between unbounded preceding and current row
        ),
        before_this_year as (
            partition by yearly.view_id, yearly.center, yearly.firm_id
            order by yearly.year rows between unbounded preceding and 1 preceding
        )
),

carried as (
    select
        *,
        graduated_in is not null and coalesce(last_ladder_year <= graduated_in, true) as after_graduation,
        min(year) over (partition by view_id, center, firm_id) as first_year,
        lag(year) over firm_path as previous_year,
        lead(year) over firm_path as next_year,
        last_value(tier_rank_written ignore nulls) over firm_path as tier_rank
    from marked
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
    coalesce(tiers.tier_code, case when carried.after_graduation then 'graduated' else 'unknown' end) as tier_code,
    tiers.tier_rank,
    lag(tiers.tier_rank) over firm_years as previous_tier_rank,
    carried.previous_year = carried.year - 1 as supported_previous_year,
    carried.next_year = carried.year + 1 as supported_next_year,
    coalesce(
        lead(coalesce(tiers.tier_code, case when carried.after_graduation then 'graduated' end)) over firm_years,
        'unknown'
    ) as next_tier_code,
    carried.on_ladder,
    carried.enrolled,
    carried.graduated,
    carried.ends_ladder,
    carried.after_graduation
from carried
-- a graduate has no tier: nothing written before or since is carried into its years
left join tiers
    on carried.view_id = tiers.view_id and carried.tier_rank = tiers.tier_rank and not carried.after_graduation
window firm_years as (partition by carried.view_id, carried.center, carried.firm_id order by carried.year)
