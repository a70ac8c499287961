{{ config(meta={'dagster': {'ref': {'name': 'result_evaluation'}}}) }}
-- The evaluations count the same activities: consultation-stage activities of the process
-- evaluation are the result evaluation's consultations, and the continuity evaluation's supported
-- firms are its supported firms, for every centre and year.
select r.center, r.year, 'consultations' as figure
from {{ ref('result_evaluation') }} as r
left join {{ ref('process_evaluation') }} as p
    on r.center = p.center and r.year = p.year and p.stage_code = 'consultation'
where coalesce(p.activities, 0) <> r.consultations

union all

select r.center, r.year, 'supported_firms' as figure
from {{ ref('result_evaluation') }} as r
left join {{ ref('continuity_evaluation') }} as c on r.center = c.center and r.year = c.year
where coalesce(c.firms_supported, 0) <> r.supported_firms
