"""Ingest: read a source file, recognise what it is, validate its rows, append events."""
