{# The columns every stored event has whatever its source (events.event_store), as each staging
   model passes them on before its own payload fields. #}
{% macro event_envelope() -%}
    position,
    event_id,
    stream_id,
    stream_version,
    event_type,
    schema_version,
    recorded_at,
    batch_id,
    source_row
{%- endmacro %}
