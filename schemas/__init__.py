"""Pandera schemas, one module per stage: raw rows (raw), stored events (events), marts (marts)."""
