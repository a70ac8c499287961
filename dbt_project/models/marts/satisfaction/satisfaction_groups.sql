-- 사업군 만족도 / Satisfaction per programme group: each survey in the evaluation of its survey
-- year, as that year's evaluation view sees it. A group's score is the mean of its programmes' scores.
select
    survey,
    survey_year,
    group_code,
    question,
    programs,
    answers,
    mean_4pt,
    score_100,
    score_100_linear,
    small_n,
    evaluation_year,
    as_of_position
from {{ ref('int_satisfaction_groups') }}
where {{ evaluated_here('view_id', 'survey_year') }}
order by survey_year, survey, group_code, question
