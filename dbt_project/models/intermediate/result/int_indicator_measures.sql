{{ config(materialized='table') }}
-- Every centre-year indicator of the registry in long form, per evaluation view: the measure
-- columns of the evaluation models are unpivoted and matched to the registry by their `source`
-- (`<mart>.<column>`), so a new registered column needs no SQL here. Stage rows of the process
-- evaluation are summed over stages (grain center_year_stage) or taken once (grain center_year).
{% set centre_year_models = {
    'result_evaluation': 'int_result_indicators',
    'continuity_evaluation': 'int_continuity',
    'process_evaluation': 'int_process_stages',
} %}
with
{% for mart, model in centre_year_models.items() %}
    {{ mart }}_measures as (
        select
            view_id,
            center,
            year,
            columns(
                lambda c: c not in ('view_id', 'center', 'year', 'as_of_position', 'observed_window_closed')
                and c not like 'stage_%'
            )::double
        from {{ ref(model) }}
    ),
{% endfor %}

measures as (
    {% for mart in centre_year_models %}
        select view_id, center, year, '{{ mart }}.' || source_column as source, value
        from {{ mart }}_measures
        unpivot include nulls (value for source_column in (columns(* exclude (view_id, center, year))))
        {{ 'union all' if not loop.last }}
    {% endfor %}
),

registry as (
    select * from {{ ref('int_pinned__indicators') }}
    where grain in ('center_year', 'center_year_stage')
)

select
    measures.view_id,
    registry.indicator_code,
    measures.center,
    (measures.year)::integer as year,
    -- summed as exact decimals, so that the order of the stage rows never shows in the last digit
    case
        when any_value(registry.grain) = 'center_year_stage' then (sum((measures.value)::decimal(38, 10)))::double
        else any_value(measures.value)
    end
        as value
from measures
inner join registry on measures.view_id = registry.view_id and measures.source = registry.source
group by measures.view_id, registry.indicator_code, measures.center, measures.year

union all

select view_id, indicator_code, center, year::integer as year, value::double as value
from {{ ref('int_program_indicators') }}
