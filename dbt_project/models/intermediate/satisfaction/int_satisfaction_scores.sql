{{ config(materialized='table') }}
-- 만족도 점수 / Satisfaction per evaluation view, survey, programme, question and responding tier
-- (`all` = every respondent). The report's conversion is mean / 4 × 100 (Table 5-1: 3.667 → 91.7);
-- beside it the linear (mean − 1) / 3 × 100, a t-based 95 % interval on the 100-point scale
-- (t(0.975, n − 1) from the seed t_quantiles; between tabulated df the next lower one, which is
-- wider), clamped to the scale's range 25–100, and the top-2-box share (answers 3–4) with a Wilson
-- interval. The response rate compares the respondents selected into the programme that year with
-- all firms selected into it (centre logs, firm_enrolled); only on `all` rows.
with answers as (
    select * from {{ ref('int_survey_answers') }}
),

scores as (
    select
        view_id,
        survey,
        survey_year,
        program_code,
        question,
        case when grouping(tier) = 1 then 'all' else tier end as tier,
        count(*) as n,
        -- from exact integer sums, not streaming float aggregates: a rebuild (a frozen year's) gives
        -- the same last digit whatever order DuckDB reads the answers in
        sum(answer) / count(*) as mean_4pt,
        case when count(*) > 1 then
                sqrt(
                    (count(*) * sum(answer * answer) - sum(answer) * sum(answer))
                    / (count(*) * (count(*) - 1))
                )
        end as sd_4pt,
        count(*) filter (where answer >= 3) as top2_answers
    from answers
    group by grouping sets (
        (view_id, survey, survey_year, program_code, question, tier),
        (view_id, survey, survey_year, program_code, question)
    )
),

quantiles as (
    select
        scores.view_id,
        scores.survey,
        scores.program_code,
        scores.question,
        scores.tier,
        quantiles.t_975
    from scores
    asof inner join {{ ref('int_pinned__t_quantiles') }} as quantiles
        on
            scores.view_id = quantiles.view_id
            and scores.n - 1 >= quantiles.df
),

enrolled as (
    select distinct
        view_id,
        year,
        program as program_code,
        firm_id
    from {{ ref('int_activities') }}
    where activity = 'firm_enrolled' and firm_id is not null
),

population as (
    select
        view_id,
        year,
        program_code,
        count(*) as enrolled_firms
    from enrolled
    group by view_id, year, program_code
),

reached as (
    select
        answers.view_id,
        answers.survey,
        answers.program_code,
        answers.question,
        count(distinct answers.firm_id) as enrolled_respondents
    from answers
    inner join enrolled
        on
            answers.view_id = enrolled.view_id
            and answers.survey_year = enrolled.year
            and answers.program_code = enrolled.program_code
            and answers.firm_id = enrolled.firm_id
    group by answers.view_id, answers.survey, answers.program_code, answers.question
),

parameters as (
    select
        view_id,
        -- a view frozen before the parameter existed uses the project's first value
        coalesce(max(value) filter (where parameter_code = 'small_n_answers'), 10) as small_n_answers
    from {{ ref('int_pinned__evaluation_parameters') }}
    group by view_id
),

intervals as (
    select
        scores.*,
        quantiles.t_975,
        quantiles.t_975 * scores.sd_4pt / sqrt(scores.n) as half_width_4pt
    from scores
    left join quantiles
        on
            scores.view_id = quantiles.view_id
            and scores.survey = quantiles.survey
            and scores.program_code = quantiles.program_code
            and scores.question = quantiles.question
            and scores.tier = quantiles.tier
)

select
    intervals.view_id,
    intervals.survey,
    cast(intervals.survey_year as integer) as survey_year,
    intervals.program_code,
    intervals.question,
    intervals.tier,
    intervals.n,
    intervals.mean_4pt,
    intervals.sd_4pt,
    intervals.mean_4pt / 4 * 100 as score_100,
    (intervals.mean_4pt - 1) / 3 * 100 as score_100_linear,
    intervals.t_975,
    -- no interval from a single answer (its spread is unknown); greatest/least would skip a null
    case when intervals.half_width_4pt is not null then
            greatest(25.0, (intervals.mean_4pt - intervals.half_width_4pt) / 4 * 100)
    end as ci_low_100,
    case when intervals.half_width_4pt is not null then
            least(100.0, (intervals.mean_4pt + intervals.half_width_4pt) / 4 * 100)
    end as ci_high_100,
    intervals.top2_answers,
    intervals.top2_answers / intervals.n as top2_share,
    cast({{ wilson_bound('intervals.top2_answers', 'intervals.n', '-') }} as double) as top2_ci_low,
    cast({{ wilson_bound('intervals.top2_answers', 'intervals.n', '+') }} as double) as top2_ci_high,
    intervals.n < parameters.small_n_answers as small_n,
    case when intervals.tier = 'all' then population.enrolled_firms end as enrolled_firms,
    case
        when intervals.tier = 'all' and population.enrolled_firms > 0
            then coalesce(reached.enrolled_respondents, 0) / population.enrolled_firms
    end as response_rate,
    cast(intervals.survey_year as integer) as evaluation_year,
    views.cap_position as as_of_position
from intervals
inner join parameters on intervals.view_id = parameters.view_id
inner join {{ ref('int_evaluation_views') }} as views on intervals.view_id = views.view_id
left join population
    on
        intervals.view_id = population.view_id
        and intervals.survey_year = population.year
        and intervals.program_code = population.program_code
left join reached
    on
        intervals.view_id = reached.view_id
        and intervals.survey = reached.survey
        and intervals.program_code = reached.program_code
        and intervals.question = reached.question
