-- 무역 맥락 / Trade context: each year as its evaluation view sees it (frozen or live).
select
    year,
    series,
    region,
    firm_size,
    market,
    value_usd,
    yoy_growth_rate,
    is_partial,
    retrieved_on,
    centre_firm_exports_usd,
    centre_firm_exports_usd / nullif(value_usd, 0) as centre_firm_share,
    other_markets_yoy_growth_rate,
    yoy_growth_rate - other_markets_yoy_growth_rate as growth_vs_other_markets,
    trade_data_status,
    as_of_position
from {{ ref('int_trade_context') }}
where {{ evaluated_here() }}
order by series, year
