{{ config(materialized='table') }}
-- 사업군 만족도 / Satisfaction per evaluation view, survey, programme group (seed programs.group_code,
-- as the view sees it) and question: the mean of its programmes' scores over all respondents, as
-- Table 5-1 does (93.3 / 92.5 and 84.4 / 79.2) — not the mean of the pooled answers, which would
-- weigh a programme by how many firms answered it. Programmes without a group are left out.
select
    scores.view_id,
    scores.survey,
    scores.survey_year,
    programs.group_code,
    scores.question,
    count(*) as programs,
    cast(sum(scores.n) as bigint) as answers,
    -- means of doubles summed as exact decimals: the same last digit in any row order (a frozen
    -- year's rebuild must reproduce its checksum)
    cast(sum(cast(scores.mean_4pt as decimal(38, 15))) / count(*) as double) as mean_4pt,
    cast(sum(cast(scores.score_100 as decimal(38, 12))) / count(*) as double) as score_100,
    cast(sum(cast(scores.score_100_linear as decimal(38, 12))) / count(*) as double) as score_100_linear,
    bool_or(scores.small_n) as small_n,
    any_value(scores.evaluation_year) as evaluation_year,
    any_value(scores.as_of_position) as as_of_position
from {{ ref('int_satisfaction_scores') }} as scores
inner join {{ ref('int_pinned__programs') }} as programs
    on scores.view_id = programs.view_id and scores.program_code = programs.program_code
where scores.tier = 'all' and programs.group_code is not null
group by scores.view_id, scores.survey, scores.survey_year, programs.group_code, scores.question
