-- 결과평가 / Result evaluation: each year as its evaluation view sees it (frozen or live).
select
    center,
    year,
    supported_firms,
    importers_discovered,
    difficulties_resolved,
    consultations,
    consultation_amount_usd,
    contracts,
    contract_amount_usd,
    export_amount_usd,
    amounts_without_fx_rate,
    as_of_position
from {{ ref('int_result_indicators') }}
where {{ evaluated_here() }}
order by year, center = 'all', center
