"""Dagster assets: ingest (one per source), dbt models, and later the annual export."""
