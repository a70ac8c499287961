{{ config(materialized='table') }}
-- 만족도 응답 / Current state of every survey answer in each evaluation view: the latest event of
-- its stream at or below the view's position (as int_activities does; a survey has no corrections
-- yet, so this is the answer as first stored). A firm that gave no tier is `unknown`.
with events as (
    {{ events_seen_by_views('stg_survey__answer_events') }}
),

streams as (
    select
        view_id,
        stream_id,
        max(stream_version) as latest_version
    from events
    group by view_id, stream_id
)

select
    events.view_id,
    events.survey,
    events.survey_year,
    events.submitted_at,
    events.firm_id,
    coalesce(events.tier, 'unknown') as tier,
    events.program as program_code,
    events.question,
    events.answer,
    events.comment,
    events.position
from events
inner join streams
    on
        events.view_id = streams.view_id
        and events.stream_id = streams.stream_id
        and events.stream_version = streams.latest_version
