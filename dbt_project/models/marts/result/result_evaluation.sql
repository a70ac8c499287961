-- 결과평가: year-end result indicators per centre and year, plus the province total (`all`).
-- Counting rules: ../shared/spec/marts.md. supported_firms on the `all` row counts each firm
-- once even when both centres served it.
with activities as (
    select * from {{ ref('int_activities_usd') }}
),

totals as (
    select
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
    from activities
    group by grouping sets ((center, year), (year))
)

select
    cast(center as varchar) as center,
    cast(year as integer) as year,
    cast(supported_firms as bigint) as supported_firms,
    cast(importers_discovered as bigint) as importers_discovered,
    cast(difficulties_resolved as bigint) as difficulties_resolved,
    cast(consultations as bigint) as consultations,
    cast(consultation_amount_usd as double) as consultation_amount_usd,
    cast(contracts as bigint) as contracts,
    cast(contract_amount_usd as double) as contract_amount_usd,
    cast(export_amount_usd as double) as export_amount_usd,
    cast(amounts_without_fx_rate as bigint) as amounts_without_fx_rate,
    (select max(e.position) from {{ ref('stg_center_log__activity_events') }} as e) as as_of_position
from totals
order by year, center = 'all', center
