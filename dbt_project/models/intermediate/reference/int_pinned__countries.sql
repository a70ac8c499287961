-- Seed countries as each evaluation view sees it (live, or as a freeze pinned it).
{{ pinned_seed('countries') }}
