-- Activities with every amount in USD at the yearly average rate of the activity's year.
select
    a.*,
    a.amount / fx.units_per_usd as amount_usd,
    fx.units_per_usd           as fx_units_per_usd
from {{ ref('stg_center_log__activities') }} as a
left join {{ ref('fx_rates_usd') }} as fx
    on fx.currency = a.currency
   and fx.year = a.year
