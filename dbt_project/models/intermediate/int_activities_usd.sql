-- Activities with every amount in USD at the yearly average rate of the activity's year, and
-- whether the activity is firm-facing (catalogue column needs_firm).
-- amount_usd is an exact decimal (to 1e-10 USD) so that sums never depend on the order DuckDB
-- adds rows in: a rebuild gives the same marts to the last digit. An amount whose currency has
-- no rate for its year yet stays NULL (and is counted in the marts) until the seed has one.
select
    a.*,
    cast(
        case when a.currency = 'USD' then a.amount else a.amount / fx.units_per_usd end
        as decimal(38, 10)
    ) as amount_usd,
    case when a.currency = 'USD' then 1 else fx.units_per_usd end as fx_units_per_usd,
    cat.needs_firm as is_firm_facing
from {{ ref('stg_center_log__activities') }} as a
left join {{ ref('fx_rates_usd') }} as fx
    on a.currency = fx.currency
        and a.year = fx.year
left join {{ ref('activities') }} as cat
    on a.activity = cat.activity_code
