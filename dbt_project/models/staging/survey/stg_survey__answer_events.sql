-- One row per survey answer event, payload typed. Schema version 1 is the only one so far: a
-- later version is upcast here, when read, never by rewriting stored events. The payload is
-- parsed once into a struct (its keys and types are those the source kind declares:
-- tests/test_dbt_sources.py). No personal data is in it: the ingest drops those columns.
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
