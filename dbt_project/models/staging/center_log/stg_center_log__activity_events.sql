-- Generated from the source kind `center_log` (pipelines/ingest/sources/) by
-- pipelines/kind_files.py: change the kind, not this file.
-- One row per event of the kind, its payload parsed once into a struct of the kind's typed
-- fields. Schema version 1 is the only one so far: a later version is upcast here, when read,
-- never by rewriting stored events.
with events as (
    select
        *,
        from_json(
            payload,
            '{"record_id": "VARCHAR", "center": "VARCHAR", "date": "DATE", "activity": "VARCHAR",
              "program": "VARCHAR", "firm_id": "VARCHAR", "firm_name": "VARCHAR", "firm_tier": "VARCHAR",
              "product": "VARCHAR", "importer_id": "VARCHAR", "importer_name": "VARCHAR", "channel": "VARCHAR",
              "amount": "DOUBLE", "currency": "VARCHAR", "quantity": "BIGINT", "correction": "VARCHAR",
              "corrects_record_id": "VARCHAR", "mentor_firm_id": "VARCHAR", "note": "VARCHAR", "extra": "JSON"}'
        ) as p
    from {{ source('events', 'center_log_events') }}
    where source_kind = 'center_log'
)

select
    {{ event_envelope() }},
    corrects_event_id,
    p.record_id as source_record_id,
    p.center,
    p.date as activity_date,
    p.activity,
    p.program,
    p.firm_id,
    p.firm_name,
    p.firm_tier,
    p.product,
    p.importer_id,
    p.importer_name,
    p.channel,
    p.amount,
    p.currency,
    p.quantity,
    p.correction,
    p.corrects_record_id,
    p.mentor_firm_id,
    p.note,
    p.extra
from events
