{# Use the configured schema as is (staging, intermediate, marts, reference): analysts query
   `marts.result_evaluation`, not `main_marts.result_evaluation`. #}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
