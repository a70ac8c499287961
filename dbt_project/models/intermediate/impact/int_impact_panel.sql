{{ config(materialized='table') }}
-- 영향평가 패널 / The impact evaluation's firm-year panel per evaluation view: every firm of the
-- customs extract in every year the extract covers (a firm-year it does not list is a year without
-- exports: 0), its size band and industry (as of its latest listed year), the outcomes, and its
-- cohort: the first year it had a firm-facing activity at any centre, when the linkage key links it.
with extract as (
    -- the latest version of each firm-year the view sees (a later extract supersedes)
    select *
    from ({{ events_seen_by_views('stg_customs_panel__firm_year_events') }}) as seen
    qualify row_number() over (partition by view_id, stream_id order by stream_version desc) = 1
),

firms as (
    select
        view_id,
        firm_pseudonym,
        arg_max(size_band, year) as size_band,
        arg_max(industry, year) as industry
    from extract
    group by view_id, firm_pseudonym
),

years as (
    select view_id, unnest(range(min(year), max(year) + 1)) as year
    from extract
    group by view_id
),

-- The link: each supported firm's registration number becomes its pseudonym inside this query
-- (link_pseudonym, pipelines/linkage_plugin.py); only the pseudonym and the cohort leave it.
cohorts as (
    select view_id, link_pseudonym(firm_id) as firm_pseudonym, min(year) as cohort
    from {{ ref('int_activities') }}
    where is_firm_facing and firm_id is not null
    group by view_id, firm_id
)

select
    firms.view_id,
    firms.firm_pseudonym,
    years.year,
    firms.size_band,
    firms.industry,
    coalesce(extract.exports_usd, 0) as exports_usd,
    coalesce(extract.exports_vn_usd, 0) + coalesce(extract.exports_in_usd, 0) as exports_vn_in_usd,
    ln(1 + coalesce(extract.exports_usd, 0)) as log_exports,
    ln(1 + coalesce(extract.exports_vn_usd, 0) + coalesce(extract.exports_in_usd, 0)) as log_exports_vn_in,
    cast(coalesce(extract.exports_usd, 0) > 0 as integer) as exports_any,
    coalesce(extract.destinations, 0) as destinations,
    cohorts.cohort,
    cohorts.cohort is not null as is_linked
from firms
inner join years on firms.view_id = years.view_id
left join extract
    on
        firms.view_id = extract.view_id
        and firms.firm_pseudonym = extract.firm_pseudonym
        and years.year = extract.year
left join cohorts on firms.view_id = cohorts.view_id and firms.firm_pseudonym = cohorts.firm_pseudonym
