{{ config(materialized='table') }}
-- One row per opportunity and year it was active in (a stage activity dated that year): its
-- furthest stage and latest known value as of 31 December, the probability the panel set for
-- that stage that year, and whether it is still open: no contract yet, and for the firm alone,
-- no importer known yet (once the firm has a (firm, importer) opportunity at the centre, that
-- one carries the deal). Only opportunities active in a year are evaluated in it, so a deal
-- nobody worked on for a whole year leaves the pipeline instead of piling up.
with yearly as (
    select
        view_id,
        opportunity_key,
        year,
        any_value(center) as center,
        any_value(firm_id) as firm_id,
        any_value(is_firm_alone) as is_firm_alone,
        max(stage_order) as year_stage_order,
        arg_max(amount_usd, (activity_date, last_position)) filter (where amount_usd is not null) as year_value_usd
    from {{ ref('int_stage_events') }}
    group by view_id, opportunity_key, year
),

as_of_year_end as (
    select
        view_id,
        opportunity_key,
        year,
        center,
        firm_id,
        is_firm_alone,
        max(year_stage_order) over to_year_end as furthest_stage_order,
        last_value(year_value_usd ignore nulls) over to_year_end as latest_value_usd
    from yearly
    window to_year_end as (
        partition by view_id, opportunity_key order by year rows between unbounded preceding and current row
    )
),

first_pairs as (
    select view_id, center, firm_id, min(activity_date) as first_pair_on
    from {{ ref('int_stage_events') }}
    where not is_firm_alone
    group by view_id, center, firm_id
),

staged as (
    select
        as_of_year_end.*,
        stages.stage_code as furthest_stage_code
    from as_of_year_end
    inner join {{ ref('int_pinned__process_stages') }} as stages
        on as_of_year_end.view_id = stages.view_id and as_of_year_end.furthest_stage_order = stages.stage_order
)

select
    staged.view_id,
    staged.opportunity_key,
    staged.year,
    staged.center,
    staged.firm_id,
    staged.is_firm_alone,
    staged.furthest_stage_code,
    staged.furthest_stage_order,
    weights.expected_contract_probability,
    case
        when staged.is_firm_alone then coalesce(first_pairs.first_pair_on > make_date(staged.year, 12, 31), true)
        else staged.furthest_stage_code <> 'contract'
    end as is_open,
    staged.latest_value_usd
from staged
left join first_pairs
    on staged.view_id = first_pairs.view_id
        and staged.center = first_pairs.center
        and staged.firm_id = first_pairs.firm_id
asof inner join {{ ref('int_pinned__process_stage_weights') }} as weights
    on
        staged.view_id = weights.view_id
        and staged.furthest_stage_code = weights.stage_code
        and staged.year >= weights.effective_year
