-- supported_firms is a distinct count: on the `all` row a firm served by two centres counts once,
-- so it lies between the largest centre's count and the sum over centres. (That the summed
-- indicators, money among them, add up to the `all` row is a business rule of the Great
-- Expectations suite `centres_sum_to_all`, pipelines/quality/rules.py: not repeated here.)
with centres as (
    select
        year,
        sum(supported_firms) as supported_firms_sum,
        max(supported_firms) as supported_firms_max
    from {{ ref('result_evaluation') }}
    where center <> 'all'
    group by year
)

select a.year
from {{ ref('result_evaluation') }} as a
inner join centres as c using (year)
where
    a.center = 'all'
    and (a.supported_firms > c.supported_firms_sum or a.supported_firms < c.supported_firms_max)
