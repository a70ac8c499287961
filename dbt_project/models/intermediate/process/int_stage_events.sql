-- Activities that move an opportunity (catalogue column stage_code), keyed by their opportunity:
-- one (firm, importer) pair at a centre, or the firm alone before an importer is known.
select
    activities.view_id,
    activities.activity_key,
    activities.center,
    activities.firm_id,
    activities.importer_id,
    activities.center || '|' || activities.firm_id || '|' || coalesce(activities.importer_id, '') as opportunity_key,
    activities.importer_id is null as is_firm_alone,
    activities.stage_code,
    stages.stage_order,
    activities.activity_date,
    activities.year,
    activities.quantity,
    activities.amount_usd,
    activities.last_position
from {{ ref('int_activities') }} as activities
inner join {{ ref('int_pinned__process_stages') }} as stages
    on activities.view_id = stages.view_id and activities.stage_code = stages.stage_code
where activities.firm_id is not null
