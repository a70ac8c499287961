{{ config(materialized='table') }}
-- One row per opportunity and stage it reached: when it first reached the stage, how many days
-- it stayed before reaching its next stage, and whether it signed a contract within 12 months.
-- A (firm, importer) opportunity is won by its own contract; the firm alone (market information
-- before an importer is known) by any contract of the firm at that centre.
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

opportunity_contracts as (
    select view_id, opportunity_key, list(activity_date) as contract_dates
    from {{ ref('int_stage_events') }}
    where stage_code = 'contract'
    group by view_id, opportunity_key
),

firm_contracts as (
    select view_id, center, firm_id, list(activity_date) as contract_dates
    from {{ ref('int_stage_events') }}
    where stage_code = 'contract'
    group by view_id, center, firm_id
),

sequenced as (
    select
        reached.*,
        lead(reached.reached_on) over opportunity_path - reached.reached_on as days_in_stage,
        lead(reached.stage_code) over opportunity_path as next_stage_code,
        case
            when reached.is_firm_alone then firm_contracts.contract_dates
            else opportunity_contracts.contract_dates
        end as contract_dates
    from reached
    left join opportunity_contracts
        on reached.view_id = opportunity_contracts.view_id
            and reached.opportunity_key = opportunity_contracts.opportunity_key
    left join firm_contracts
        on
            reached.view_id = firm_contracts.view_id
            and reached.center = firm_contracts.center
            and reached.firm_id = firm_contracts.firm_id
    window
        opportunity_path as (
            partition by reached.view_id, reached.opportunity_key order by reached.reached_on, reached.stage_order
        )
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
    next_stage_code,
    days_in_stage,
    coalesce(
        len(list_filter(contract_dates, lambda signed: signed >= reached_on and signed <= reached_on + 365)) > 0,
        false
    ) as won_within_12_months
from sequenced
