{# A filter that freezes a model at a store position: `dbt build --vars '{as_of_position: 1234}'`. #}
{% macro as_of_position_filter(column='position') -%}
    {%- if var('as_of_position') is not none -%}
        {{ column }} <= {{ var('as_of_position') | int }}
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}
