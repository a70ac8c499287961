"""Evaluation pipeline for Jeonbuk's overseas export-support centres.

Flow: sources/ files -> ingest -> events.event_store (DuckDB) -> dbt -> marts -> export.
"""
