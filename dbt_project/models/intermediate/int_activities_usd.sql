-- Activities with every amount in USD at the yearly average rate of the activity's year.
-- amount_usd is an exact decimal (to 1e-10 USD) so that sums never depend on the order DuckDB
-- adds rows in: a rebuild gives the same marts to the last digit.
select
    a.*,
    cast(a.amount / fx.units_per_usd as decimal(38, 10)) as amount_usd,
    fx.units_per_usd           as fx_units_per_usd
from {{ ref('stg_center_log__activities') }} as a
left join {{ ref('fx_rates_usd') }} as fx
    on fx.currency = a.currency
   and fx.year = a.year
