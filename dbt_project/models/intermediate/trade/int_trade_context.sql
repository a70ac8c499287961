{{ config(materialized='table') }}
-- 무역 맥락 / Yearly export series per evaluation view (domain.md "Trade context"): Jeonbuk in
-- total, to Vietnam, to India, to both and to all other markets, for all firms and for SMEs;
-- Korea in total; and the exports of centre-using firms (hanoi: VN, new_delhi: IN). Beside each:
-- growth on the year before, the centre firms' share and the growth gap to the other markets.
with figures as (
    select *
    from {{ ref('int_trade_statistics') }}
    where is_year and item_code = 'ALL' and coalesce(hs_code, 'ALL') = 'ALL' and sigun = 'ALL'
),

markets as (
    select
        view_id,
        region,
        firm_size,
        year,
        max(export_usd) filter (where country = 'ALL') as total_usd,
        max(export_usd) filter (where country = 'VN') as vietnam_usd,
        max(export_usd) filter (where country = 'IN') as india_usd,
        bool_or(is_partial) filter (where country in ('ALL', 'VN', 'IN')) as is_partial,
        max(retrieved_on) filter (where country in ('ALL', 'VN', 'IN')) as retrieved_on
    from figures
    where firm_size in ('all', 'sme')
    group by view_id, region, firm_size, year
),

prefixed as (
    select
        *,
        case
            when region = 'national' then 'national'
            when firm_size = 'sme' then 'sme'
            else 'jeonbuk'
        end as prefix
    from markets
    where region = 'jeonbuk' or firm_size = 'all'
),

trade_series as (
    select
        prefixed.view_id,
        prefixed.year,
        prefixed.region,
        prefixed.firm_size,
        prefixed.is_partial,
        prefixed.retrieved_on,
        prefixed.prefix || '_' || markets_wanted.suffix as series,
        markets_wanted.market,
        case markets_wanted.market
            when 'ALL' then prefixed.total_usd
            when 'VN' then prefixed.vietnam_usd
            when 'IN' then prefixed.india_usd
            when 'VN+IN' then prefixed.vietnam_usd + prefixed.india_usd
            else prefixed.total_usd - prefixed.vietnam_usd - prefixed.india_usd
        end as value_usd
    from prefixed
    cross join (
        values
        ('total', 'ALL'),
        ('vietnam', 'VN'),
        ('india', 'IN'),
        ('vietnam_india', 'VN+IN'),
        ('other_markets', 'other')
    ) as markets_wanted (suffix, market)
),

centres as (
    select
        view_id,
        year,
        sum(export_amount_usd) filter (where center = 'hanoi') as vietnam_usd,
        sum(export_amount_usd) filter (where center = 'new_delhi') as india_usd
    from {{ ref('int_result_indicators') }}
    where center in ('hanoi', 'new_delhi')
    group by view_id, year
),

centre_series as (
    select
        centres.view_id,
        centres.year,
        'jeonbuk' as region,
        'centre_firms' as firm_size,
        false as is_partial,
        cast(null as date) as retrieved_on,
        'centre_firms_' || markets_wanted.suffix as series,
        markets_wanted.market,
        case markets_wanted.market
            when 'VN' then centres.vietnam_usd
            when 'IN' then centres.india_usd
            else coalesce(centres.vietnam_usd, 0) + coalesce(centres.india_usd, 0)
        end as value_usd
    from centres
    cross join
        (values ('vietnam', 'VN'), ('india', 'IN'), ('vietnam_india', 'VN+IN')) as markets_wanted (suffix, market)
),

all_series as (
    select * from trade_series
    where value_usd is not null
    union all
    select * from centre_series
    where value_usd is not null
),

grown as (
    select
        *,
        value_usd / nullif(lag(value_usd) over (partition by view_id, series order by year), 0) - 1 as yoy_raw,
        lag(year) over (partition by view_id, series order by year) as previous_year
    from all_series
),

with_growth as (
    select
        * exclude (yoy_raw, previous_year),
        case when previous_year = year - 1 then yoy_raw end as yoy_growth_rate
    from grown
)

select
    g.view_id,
    g.year,
    cast(g.series as varchar) as series,
    cast(g.region as varchar) as region,
    cast(g.firm_size as varchar) as firm_size,
    cast(g.market as varchar) as market,
    cast(g.value_usd as double) as value_usd,
    cast(g.yoy_growth_rate as double) as yoy_growth_rate,
    coalesce(g.is_partial, false) as is_partial,
    g.retrieved_on,
    cast(
        case g.market
            when 'VN' then c.vietnam_usd
            when 'IN' then c.india_usd
            when 'VN+IN' then c.vietnam_usd + c.india_usd
        end as double
    ) as centre_firm_exports_usd,
    cast(other.yoy_growth_rate as double) as other_markets_yoy_growth_rate,
    views.cap_position as as_of_position
from with_growth as g
inner join {{ ref('int_evaluation_views') }} as views on g.view_id = views.view_id
left join centres as c
    on
        g.view_id = c.view_id
        and g.year = c.year
        and g.region = 'jeonbuk'
        and g.firm_size = 'all'
left join with_growth as other
    on
        g.view_id = other.view_id
        and g.year = other.year
        and g.market in ('VN', 'IN', 'VN+IN')
        and g.firm_size in ('all', 'sme')
        and other.series = (case when g.firm_size = 'sme' then 'sme' else g.region end) || '_other_markets'
