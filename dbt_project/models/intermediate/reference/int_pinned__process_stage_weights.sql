-- Seed process_stage_weights as each evaluation view sees it (live, or as a freeze pinned it).
{{ pinned_seed('process_stage_weights') }}
