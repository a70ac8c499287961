{{ config(materialized='table') }}
-- 평가 시점 / The evaluation views every intermediate model is computed in (macros/evaluation_views.sql):
-- view 0 is the live one (the whole store, or the `as_of_position` var; today's date, or the
-- `evaluation_date` var); each year's latest freeze adds a view at its store position and date.
with store as (
    -- the head of the whole store, every kind's events (a freeze records the same)
    select coalesce(max(position), 0) as last_position
    from {{ ref('stg_events__store_positions') }}
),

freezes as (
    select
        freeze_id,
        year,
        store_position,
        evaluated_on,
        row_number() over (partition by year order by freeze_id desc) as newest_first
    from {{ ref('stg_events__evaluation_freezes') }}
)

select
    cast(0 as bigint) as view_id,
    cast(null as bigint) as freeze_id,
    cast(null as integer) as frozen_year,
    {% if var('as_of_position') is not none -%}
        least(store.last_position, {{ var('as_of_position') | int }})
    {%- else -%}
        store.last_position
    {%- endif %} as cap_position,
    {% if var('evaluation_date', none) is not none -%}
        cast('{{ var("evaluation_date") }}' as date)
    {%- else -%}
        current_date
    {%- endif %} as evaluated_on
from store

union all

select
    freeze_id as view_id,
    freeze_id,
    year as frozen_year,
    store_position as cap_position,
    evaluated_on
from freezes
where
    newest_first = 1
    -- a re-freeze first builds its year live, from the whole store and today's seeds
    {% if var('refreeze_year', none) is not none -%}
        and year <> {{ var('refreeze_year') | int }}
    {%- endif %}
