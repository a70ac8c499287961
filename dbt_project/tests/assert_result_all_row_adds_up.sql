-- The `all` row of every additive indicator equals the sum over centres (supported_firms is a
-- distinct count and may be smaller than the sum, never larger). Money too, to the cent: it is exact.
with centres as (
    select
        year,
        sum(importers_discovered) as importers_discovered, sum(difficulties_resolved) as difficulties_resolved,
        sum(consultations) as consultations, sum(consultation_amount_usd) as consultation_amount_usd,
        sum(contracts) as contracts, sum(contract_amount_usd) as contract_amount_usd,
        sum(export_amount_usd) as export_amount_usd, sum(supported_firms) as supported_firms_sum,
        max(supported_firms) as supported_firms_max
    from {{ ref('result_evaluation') }}
    where center <> 'all'
    group by year
)

select a.year
from {{ ref('result_evaluation') }} as a
join centres as c using (year)
where a.center = 'all'
    and (
        a.importers_discovered <> c.importers_discovered
        or a.difficulties_resolved <> c.difficulties_resolved
        or a.consultations <> c.consultations
        or a.consultation_amount_usd <> c.consultation_amount_usd
        or a.contracts <> c.contracts
        or a.contract_amount_usd <> c.contract_amount_usd
        or a.export_amount_usd <> c.export_amount_usd
        or a.supported_firms > c.supported_firms_sum
        or a.supported_firms < c.supported_firms_max
    )
