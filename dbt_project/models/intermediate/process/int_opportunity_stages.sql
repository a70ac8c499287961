{{ config(materialized='table') }}
-- One row per opportunity and stage it reached: when it first reached the stage, how many days
-- until it first reached a higher stage (null while it has not), and whether it signed a
-- contract within the window (evaluation_parameters.contract_window_days) after reaching it.
-- A (firm, importer) opportunity moves on and is won by its own stages and contract; the firm
-- alone (market information before an importer is known) moves on when the firm's first
-- (firm, importer) opportunity at that centre starts, and is won by any contract of the firm there.
with reached as (
    select
        view_id,
        opportunity_key,
        stage_code,
        any_value(center) as center,
        any_value(firm_id) as firm_id,
        any_value(is_firm_alone) as is_firm_alone,
        any_value(stage_order) as stage_order,
        min(activity_date) as reached_on
    from {{ ref('int_stage_events') }}
    group by view_id, opportunity_key, stage_code
),

opportunities as (
    select
        view_id,
        opportunity_key,
        list({ 'stage_order': stage_order, 'reached_on': reached_on }) as path
    from reached
    group by view_id, opportunity_key
),

firm_events as (
    select
        view_id,
        center,
        firm_id,
        list(activity_date) filter (where stage_code = 'contract') as contract_dates,
        list(activity_date) filter (where not is_firm_alone) as pair_dates
    from {{ ref('int_stage_events') }}
    group by view_id, center, firm_id
),

opportunity_contracts as (
    select view_id, opportunity_key, list(activity_date) as contract_dates
    from {{ ref('int_stage_events') }}
    where stage_code = 'contract'
    group by view_id, opportunity_key
),

candidates as (
    select
        reached.*,
        -- the dates it can move on at: a higher stage of its own, or (the firm alone) any
        -- (firm, importer) opportunity of the firm; lambda parameters are not tables to sqlfluff
        case
            when reached.is_firm_alone then firm_events.pair_dates
            else list_transform(
                    list_filter(opportunities.path, lambda s: s.stage_order > reached.stage_order),  -- noqa: RF01
                    lambda s: s.reached_on  -- noqa: RF01
                )
        end as move_dates,
        case
            when reached.is_firm_alone then firm_events.contract_dates
            else opportunity_contracts.contract_dates
        end as contract_dates,
        params.contract_window_days
    from reached
    inner join opportunities
        on reached.view_id = opportunities.view_id and reached.opportunity_key = opportunities.opportunity_key
    inner join firm_events
        on
            reached.view_id = firm_events.view_id
            and reached.center = firm_events.center
            and reached.firm_id = firm_events.firm_id
    left join opportunity_contracts
        on
            reached.view_id = opportunity_contracts.view_id
            and reached.opportunity_key = opportunity_contracts.opportunity_key
    inner join {{ ref('int_evaluation_parameters') }} as params on reached.view_id = params.view_id
)

select
    view_id,
    opportunity_key,
    center,
    firm_id,
    is_firm_alone,
    stage_code,
    stage_order,
    reached_on,
    year(reached_on) as reached_year,
    list_min(list_filter(move_dates, lambda moved_on: moved_on >= reached_on)) - reached_on as days_in_stage,
    coalesce(
        len(
            list_filter(
                contract_dates, lambda signed: signed >= reached_on and signed <= reached_on + contract_window_days
            )
        ) > 0,
        false
    ) as won_within_window
from candidates
