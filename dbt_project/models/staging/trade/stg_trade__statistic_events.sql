-- Generated from the source kind `trade` (pipelines/ingest/sources/) by pipelines/kind_files.py:
-- change the kind, not this file.
-- One row per event of the kind, its payload parsed once into a struct of the kind's typed
-- fields. Schema version 1 is the only one so far: a later version is upcast here, when read,
-- never by rewriting stored events.
with events as (
    select
        *,
        from_json(
            payload,
            '{"region": "VARCHAR", "firm_size": "VARCHAR", "label": "VARCHAR", "country": "VARCHAR",
              "item_code": "VARCHAR", "sigun": "VARCHAR", "hs_code": "VARCHAR", "period": "VARCHAR",
              "status": "VARCHAR", "export_usd": "DOUBLE", "export_growth_pct": "DOUBLE",
              "import_usd": "DOUBLE", "import_growth_pct": "DOUBLE", "balance_usd": "DOUBLE",
              "export_kg": "DOUBLE", "import_kg": "DOUBLE", "unit": "VARCHAR", "retrieved_on": "DATE",
              "retrieved_from": "VARCHAR", "file_row": "BIGINT", "extra": "JSON"}'
        ) as p
    from {{ source('events', 'trade_events') }}
    where source_kind = 'trade'
)

select
    {{ event_envelope() }},
    p.region,
    p.firm_size,
    p.label,
    p.country,
    p.item_code,
    p.sigun,
    p.hs_code,
    p.period,
    p.status,
    p.export_usd,
    p.export_growth_pct,
    p.import_usd,
    p.import_growth_pct,
    p.balance_usd,
    p.export_kg,
    p.import_kg,
    p.unit,
    p.retrieved_on,
    p.retrieved_from,
    p.file_row,
    p.extra
from events
