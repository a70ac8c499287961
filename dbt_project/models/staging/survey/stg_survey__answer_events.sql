-- Generated from the source kind `survey` (pipelines/ingest/sources/) by pipelines/kind_files.py:
-- change the kind, not this file.
-- One row per event of the kind, its payload parsed once into a struct of the kind's typed
-- fields. Schema version 1 is the only one so far: a later version is upcast here, when read,
-- never by rewriting stored events.
with events as (
    select
        *,
        from_json(
            payload,
            '{"survey": "VARCHAR", "survey_year": "INTEGER", "submitted_at": "TIMESTAMP", "firm_id": "VARCHAR",
              "tier": "VARCHAR", "program": "VARCHAR", "question": "VARCHAR", "answer": "BIGINT",
              "comment": "VARCHAR", "extra": "JSON"}'
        ) as p
    from {{ source('events', 'survey_events') }}
    where source_kind = 'survey'
)

select
    {{ event_envelope() }},
    p.survey,
    p.survey_year,
    p.submitted_at,
    p.firm_id,
    p.tier,
    p.program,
    p.question,
    p.answer,
    p.comment,
    p.extra
from events
