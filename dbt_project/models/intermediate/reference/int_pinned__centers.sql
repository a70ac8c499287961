-- Seed centers as each evaluation view sees it (live, or as a freeze pinned it): a centre added
-- later brings no trade series into a frozen year.
{{ pinned_seed('centers') }}
