-- Generated from the source kind `customs_panel` (pipelines/ingest/sources/) by
-- pipelines/kind_files.py: change the kind, not this file.
-- One row per event of the kind, its payload parsed once into a struct of the kind's typed
-- fields. Schema version 1 is the only one so far: a later version is upcast here, when read,
-- never by rewriting stored events.
with events as (
    select
        *,
        from_json(
            payload,
            '{"year": "INTEGER", "firm_pseudonym": "VARCHAR", "size_band": "VARCHAR", "industry": "VARCHAR",
              "exports_usd": "DOUBLE", "exports_vn_usd": "DOUBLE", "exports_in_usd": "DOUBLE",
              "destinations": "BIGINT", "products": "BIGINT", "extra": "JSON"}'
        ) as p
    from {{ source('events', 'customs_panel_events') }}
    where source_kind = 'customs_panel'
)

select
    {{ event_envelope() }},
    p.year,
    p.firm_pseudonym,
    p.size_band,
    p.industry,
    p.exports_usd,
    p.exports_vn_usd,
    p.exports_in_usd,
    p.destinations,
    p.products,
    p.extra
from events
