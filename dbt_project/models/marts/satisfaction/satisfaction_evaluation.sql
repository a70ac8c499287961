-- 만족도 평가 / Satisfaction evaluation: each survey in the evaluation of its survey year, as that
-- year's evaluation view sees it (frozen or live). One row per survey, programme, question and
-- responding tier, `all` being every respondent.
select
    scores.survey,
    scores.survey_year,
    scores.program_code,
    programs.name_ko as program_name_ko,
    programs.group_code,
    scores.question,
    scores.tier,
    scores.n,
    scores.mean_4pt,
    scores.sd_4pt,
    scores.score_100,
    scores.score_100_linear,
    scores.ci_low_100,
    scores.ci_high_100,
    scores.top2_answers,
    scores.top2_share,
    scores.top2_ci_low,
    scores.top2_ci_high,
    scores.small_n,
    scores.enrolled_firms,
    scores.response_rate,
    scores.evaluation_year,
    scores.as_of_position
from {{ ref('int_satisfaction_scores') }} as scores
left join {{ ref('int_pinned__programs') }} as programs
    on scores.view_id = programs.view_id and scores.program_code = programs.program_code
where {{ evaluated_here('scores.view_id', 'scores.survey_year') }}
order by scores.survey_year, scores.survey, scores.program_code, scores.question, scores.tier <> 'all', scores.tier
