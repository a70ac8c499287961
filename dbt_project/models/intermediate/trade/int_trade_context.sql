{{ config(materialized='table') }}
-- 무역 맥락 / Yearly export series per evaluation view (docs/evaluations.md, "Trade context"): Jeonbuk in
-- total, to each centre's country and, as the report has them, to Vietnam and India together and
-- to all other markets, for all firms and for SMEs; Korea in total; and the exports of
-- centre-using firms to their centres' countries. Beside each: growth on the year before, the
-- centre firms' share, the growth gap to the other markets, and whether KITA's figure is in yet.
-- Which country a centre serves comes from the seed `centers` only (as the view sees it): a centre
-- added there brings its country's series.
with figures as (
    select *
    from {{ ref('int_trade_statistics') }}
    where is_year and item_code = 'ALL' and coalesce(hs_code, 'ALL') = 'ALL' and sigun = 'ALL'
),

-- every centre's country, named in series after its English name (seed countries: Viet Nam → vietnam)
centre_countries as (
    select distinct
        centers.view_id,
        centers.country_iso2 as country,
        coalesce(
            regexp_replace(strip_accents(lower(countries.name_en)), '[^a-z]', '', 'g'), lower(centers.country_iso2)
        ) as suffix
    from {{ ref('int_pinned__centers') }} as centers
    left join {{ ref('int_pinned__countries') }} as countries
        on centers.view_id = countries.view_id and centers.country_iso2 = countries.country_code
),

-- the report's own pair of markets (Table 2-8): Vietnam and India together, and all markets but these
report_pair as (
    select pair.country from (values ('VN'), ('IN')) as pair (country)
),

kita as (
    select
        *,
        case
            when region = 'national' then 'national'
            when firm_size = 'sme' then 'sme'
            else 'jeonbuk'
        end as prefix
    from figures
    where firm_size in ('all', 'sme') and (region = 'jeonbuk' or firm_size = 'all')
),

report_markets as (
    select
        kita.view_id,
        kita.year,
        kita.region,
        kita.firm_size,
        kita.prefix,
        max(kita.export_usd) filter (where kita.country = 'ALL') as total_usd,
        -- a pair with one figure missing is no pair
        case
            when count(kita.export_usd) filter (where pair.country is not null) = (select count(*) from report_pair)
                then sum(kita.export_usd) filter (where pair.country is not null)
        end as pair_usd,
        bool_or(kita.is_partial) filter (where kita.country = 'ALL' or pair.country is not null) as is_partial,
        max(kita.retrieved_on) filter (where kita.country = 'ALL' or pair.country is not null) as retrieved_on
    from kita
    left join report_pair as pair on kita.country = pair.country
    group by kita.view_id, kita.year, kita.region, kita.firm_size, kita.prefix
),

trade_series as (
    select
        kita.view_id,
        kita.year,
        kita.region,
        kita.firm_size,
        kita.is_partial,
        kita.retrieved_on,
        kita.prefix || '_' || coalesce(centre_countries.suffix, 'total') as series,
        kita.country as market,
        kita.export_usd as value_usd
    from kita
    left join centre_countries on kita.view_id = centre_countries.view_id and kita.country = centre_countries.country
    where kita.country = 'ALL' or centre_countries.country is not null
    union all
    select
        report_markets.view_id,
        report_markets.year,
        report_markets.region,
        report_markets.firm_size,
        report_markets.is_partial,
        report_markets.retrieved_on,
        report_markets.prefix || '_' || markets_wanted.suffix as series,
        markets_wanted.market,
        case markets_wanted.market
            when 'VN+IN' then report_markets.pair_usd
            else report_markets.total_usd - report_markets.pair_usd
        end as value_usd
    from report_markets
    cross join (values ('vietnam_india', 'VN+IN'), ('other_markets', 'other')) as markets_wanted (suffix, market)
),

-- each centre's firms export to its centre's country; centres of one country add up
centre_markets as (
    select
        results.view_id,
        results.year,
        centers.country_iso2 as market,
        sum(results.export_amount_usd) as value_usd
    from {{ ref('int_result_indicators') }} as results
    inner join {{ ref('int_pinned__centers') }} as centers
        on results.view_id = centers.view_id and results.center = centers.center_code
    group by results.view_id, results.year, centers.country_iso2
),

centre_values as (
    select
        centre_markets.view_id,
        centre_markets.year,
        centre_markets.market,
        'centre_firms_' || centre_countries.suffix as series,
        centre_markets.value_usd
    from centre_markets
    inner join centre_countries
        on centre_markets.view_id = centre_countries.view_id and centre_markets.market = centre_countries.country
    union all
    select
        centre_markets.view_id,
        centre_markets.year,
        'VN+IN' as market,
        'centre_firms_vietnam_india' as series,
        sum(centre_markets.value_usd) as value_usd
    from centre_markets
    inner join report_pair on centre_markets.market = report_pair.country
    group by centre_markets.view_id, centre_markets.year
),

centre_series as (
    select
        centre_values.view_id,
        centre_values.year,
        'jeonbuk' as region,
        'centre_firms' as firm_size,
        -- the centre logs of a year still running hold part of it
        {{ year_has_ended('centre_values.year') }} = false as is_partial,
        cast(null as date) as retrieved_on,
        centre_values.series,
        centre_values.market,
        centre_values.value_usd
    from centre_values
    inner join {{ ref('int_evaluation_views') }} as views on centre_values.view_id = views.view_id
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
        -- part of a year is not compared with a whole one
        case when previous_year = year - 1 and not coalesce(is_partial, false) then yoy_raw end as yoy_growth_rate
    from grown
)

select
    g.view_id,
    g.year,
    cast(g.series as varchar) as series,
    cast(g.region as varchar) as region,
    cast(g.firm_size as varchar) as firm_size,
    cast(g.market as varchar) as market,
    {{ money('g.value_usd') }} as value_usd,
    cast(g.yoy_growth_rate as double) as yoy_growth_rate,
    coalesce(g.is_partial, false) as is_partial,
    g.retrieved_on,
    {{ money('c.value_usd') }} as centre_firm_exports_usd,
    cast(other.yoy_growth_rate as double) as other_markets_yoy_growth_rate,
    -- KITA's figure the row is read against: its own, or for centre firms Jeonbuk's to the same market
    cast(
        case
            when g.firm_size <> 'centre_firms' then case when g.is_partial then 'partial' else 'final' end
            when kita.series is null then 'awaiting_kita'
            when kita.is_partial then 'partial'
            else 'final'
        end as varchar
    ) as trade_data_status,
    views.cap_position as as_of_position
from with_growth as g
inner join {{ ref('int_evaluation_views') }} as views on g.view_id = views.view_id
left join centre_series as c
    on
        g.view_id = c.view_id
        and g.year = c.year
        and g.market = c.market
        and g.region = 'jeonbuk'
        and g.firm_size = 'all'
left join with_growth as other
    on
        g.view_id = other.view_id
        and g.year = other.year
        and (g.market = 'VN+IN' or g.market in (select report_pair.country from report_pair))
        and g.firm_size in ('all', 'sme')
        and other.series = (case when g.firm_size = 'sme' then 'sme' else g.region end) || '_other_markets'
left join with_growth as kita
    on
        g.view_id = kita.view_id
        and g.year = kita.year
        and g.market = kita.market
        and g.firm_size = 'centre_firms'
        and kita.region = 'jeonbuk'
        and kita.firm_size = 'all'
