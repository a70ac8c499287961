-- 연평균 성장률 / Compound growth of each trade series over each window (base_year → year), as
-- the evaluation view of the window's last year sees it.
select
    growth.series,
    growth.base_year,
    growth.year,
    growth.base_value_usd,
    growth.value_usd,
    growth.compound_growth_rate,
    growth.is_partial,
    views.cap_position as as_of_position
from {{ ref('int_trade_growth') }} as growth
inner join {{ ref('int_evaluation_views') }} as views on growth.view_id = views.view_id
where {{ evaluated_here('growth.view_id', 'growth.year') }}
order by growth.series, growth.base_year, growth.year
