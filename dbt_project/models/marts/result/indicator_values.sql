-- 지표값(긴 형식) / Every registered centre-year indicator, each year as its evaluation view sees it.
select
    indicator_code,
    center,
    year,
    evaluation,
    name_ko,
    name_en,
    unit,
    aggregation,
    higher_is_better,
    value,
    target,
    attainment_rate,
    baseline,
    evaluation_year,
    as_of_position
from {{ ref('int_indicator_values') }}
where {{ evaluated_here('view_id', 'evaluation_year') }}
order by evaluation, indicator_code, year, center = 'all', center
