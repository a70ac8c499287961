-- 평가 기준값 / The evaluation's thresholds per view, one row each (seed evaluation_parameters,
-- pinned with a frozen year like every seed).
select
    view_id,
    max(value) filter (where parameter_code = 'low_probability_threshold') as low_probability_threshold,
    max(value) filter (where parameter_code = 'continuity_gap_probability') as continuity_gap_probability,
    cast(max(value) filter (where parameter_code = 'contract_window_days') as integer) as contract_window_days
from {{ ref('int_pinned__evaluation_parameters') }}
group by view_id
