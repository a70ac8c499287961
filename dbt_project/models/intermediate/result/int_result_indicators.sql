{{ config(materialized='table') }}
-- 결과평가 / Year-end result indicators per evaluation view, centre and year, plus the province
-- total (`all`). Counting rules: docs/evaluations.md. supported_firms on the `all` row counts
-- each firm once even when both centres served it.
with totals as (
    select
        view_id,
        coalesce(center, 'all') as center,
        year,
        count(distinct firm_id) filter (where is_firm_facing) as supported_firms,
        coalesce(sum(quantity) filter (where activity = 'importer_discovered'), 0) as importers_discovered,
        coalesce(sum(quantity) filter (where activity = 'difficulty_resolved'), 0) as difficulties_resolved,
        coalesce(sum(quantity) filter (where activity = 'consultation_held'), 0) as consultations,
        coalesce(sum(amount_usd) filter (where activity = 'consultation_held'), 0) as consultation_amount_usd,
        coalesce(sum(quantity) filter (where activity = 'contract_signed'), 0) as contracts,
        coalesce(sum(amount_usd) filter (where activity = 'contract_signed'), 0) as contract_amount_usd,
        coalesce(sum(amount_usd) filter (where activity = 'export_shipped'), 0) as export_amount_usd,
        count(*) filter (where amount is not null and amount_usd is null) as amounts_without_fx_rate
    from {{ ref('int_activities') }}
    group by grouping sets ((view_id, center, year), (view_id, year))
)

select
    totals.view_id,
    cast(totals.center as varchar) as center,
    cast(totals.year as integer) as year,
    cast(totals.supported_firms as bigint) as supported_firms,
    cast(totals.importers_discovered as bigint) as importers_discovered,
    cast(totals.difficulties_resolved as bigint) as difficulties_resolved,
    cast(totals.consultations as bigint) as consultations,
    {{ money('totals.consultation_amount_usd') }} as consultation_amount_usd,
    cast(totals.contracts as bigint) as contracts,
    {{ money('totals.contract_amount_usd') }} as contract_amount_usd,
    {{ money('totals.export_amount_usd') }} as export_amount_usd,
    cast(totals.amounts_without_fx_rate as bigint) as amounts_without_fx_rate,
    views.cap_position as as_of_position
from totals
inner join {{ ref('int_evaluation_views') }} as views on totals.view_id = views.view_id
