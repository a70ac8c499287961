{# Frozen annual evaluations (pipelines/freeze.py). Every intermediate model is computed once per
   evaluation view: view 0 sees the whole store (or `as_of_position`) with the live seeds; each
   frozen year has a view of its own that sees only the events at or below its freeze position,
   with the reference rows pinned by the freeze. A mart keeps, for each year, the rows of the
   view that evaluates that year. #}

{# The rows of `view_column` that evaluate their `year_column`: the year's latest freeze, or
   view 0 for a year never frozen. #}
{% macro evaluated_here(view_column='view_id', year_column='year') -%}
    {{ year_column }} is not null
    and {{ view_column }} = coalesce(
        (
            select max(frozen.view_id) from {{ ref('int_evaluation_views') }} as frozen
            where frozen.frozen_year = {{ year_column }}
        ),
        0
    )
{%- endmacro %}

{# The events of a staging model each evaluation view sees: every event at or below the view's
   position, tagged with the view (the one place a view's position is applied). #}
{% macro events_seen_by_views(staging_model) -%}
    select
        views.view_id,
        events.*
    from {{ ref(staging_model) }} as events
    inner join {{ ref('int_evaluation_views') }} as views
        on events.position <= views.cap_position
{%- endmacro %}

{# A year has ended for an evaluation when its 31 December lies before the view's evaluation
   date (today for view 0, the freeze's date for a frozen year): deterministic per view, so a
   frozen year never changes when the calendar moves on. #}
{% macro year_has_ended(year_expression, evaluated_on='views.evaluated_on') -%}
    (make_date(cast({{ year_expression }} as integer), 12, 31) < {{ evaluated_on }})
{%- endmacro %}

{# The reference seed `seed_name` as each evaluation view sees it: the live seed for view 0, the
   rows a freeze pinned for a frozen view. The pinned rows' JSON is typed with the seed's own
   columns, so the seed's file is the one place its layout is written. Both inputs are named at
   parse time, when the columns are not known yet, so the manifest has the edge from the pinned
   rows; the pinned branch is written once the columns are known (at execute). #}
{% macro pinned_seed(seed_name) -%}
    {%- set seed_relation = ref(seed_name) -%}
    {%- set pinned_relation = ref('stg_events__freeze_reference_rows') -%}
    {%- set columns = adapter.get_columns_in_relation(seed_relation) if execute else [] -%}
    select views.view_id, seed.*
    from {{ seed_relation }} as seed
    cross join {{ ref('int_evaluation_views') }} as views
    where views.freeze_id is null
    {%- if columns %}
    union all by name
    select
        views.view_id,
        unnest(from_json(pinned.row_values, '{
            {%- for column in columns -%}
                "{{ column.name }}": "{{ column.dtype }}"{{ ", " if not loop.last }}
            {%- endfor -%}
        }'))
    from {{ pinned_relation }} as pinned
    inner join {{ ref('int_evaluation_views') }} as views on pinned.freeze_id = views.freeze_id
    where pinned.seed = '{{ seed_name }}'
    {%- endif %}
{%- endmacro %}

{# Wilson score interval of k successes in n trials (95 % by default). #}
{% macro wilson_bound(k, n, sign, z=1.959964) -%}
    -- clamped: at k = 0 or k = n rounding would put a bound a hair outside 0..1
    case when {{ n }} > 0 then
        least(1.0, greatest(0.0,
            (
                ({{ k }} / {{ n }}) + {{ z }} ^ 2 / (2 * {{ n }})
                {{ sign }} {{ z }} * sqrt(
                    ({{ k }} / {{ n }}) * (1 - {{ k }} / {{ n }}) / {{ n }} + {{ z }} ^ 2 / (4 * {{ n }} ^ 2)
                )
            ) / (1 + {{ z }} ^ 2 / {{ n }})
        ))
    end
{%- endmacro %}
