-- Seed fx_rates_usd as each evaluation view sees it (live, or as a freeze pinned it).
{{ pinned_seed('fx_rates_usd') }}
