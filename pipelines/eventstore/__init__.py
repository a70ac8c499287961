"""The append-only event store in DuckDB (schema `events`)."""
