"""Exact splitting: totals become row values that add up to the total to the unit, not roughly."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta


def split_total(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Integers of at least `minimum`, close to proportional to `weights`, summing to `total`.

    Largest-remainder rounding: the floors are topped up one by one where the cut was largest,
    so the sum is exact and no part strays more than one unit from its share.
    """
    n = len(weights)
    rest = total - minimum * n
    if n == 0 or rest < 0:
        raise ValueError(f"cannot split {total} into {n} parts of at least {minimum}")
    wsum = float(sum(weights))
    raw = [rest * w / wsum for w in weights]
    parts = [int(r) for r in raw]
    short = rest - sum(parts)
    for i in sorted(range(n), key=lambda i: (parts[i] - raw[i], i))[:short]:
        parts[i] += 1
    return [p + minimum for p in parts]


def chunks(total: int, rng: random.Random, low: int, high: int) -> list[int]:
    """`total` cut into pieces of `low`..`high` (the last one may be smaller), e.g. bulk rows."""
    out = []
    while total > 0:
        piece = min(total, rng.randint(low, high))
        out.append(piece)
        total -= piece
    return out


def weights(rng: random.Random, n: int, sigma: float = 0.8) -> list[float]:
    """Skewed positive weights: a few large deals and many small ones, as amounts really are."""
    return [rng.lognormvariate(0.0, sigma) for _ in range(n)]


def pick(rng: random.Random, items: Sequence, k: int) -> list:
    """k distinct items in their original order (stable, so later choices do not reshuffle)."""
    k = max(0, min(k, len(items)))
    chosen = sorted(rng.sample(range(len(items)), k))
    return [items[i] for i in chosen]


def workday(rng: random.Random, start: date, end: date) -> date:
    """A random Monday–Friday in [start, end] (a weekend only when the span has no weekday)."""
    span = (end - start).days
    for _ in range(8):
        day = start + timedelta(days=rng.randint(0, span))
        if day.weekday() < 5:
            return day
    return day


def weighted_pick(rng: random.Random, items: Sequence, item_weights: Sequence[float], k: int) -> list[int]:
    """Indexes of k items drawn without replacement, likelier the heavier (Efraimidis–Spirakis),
    returned in the items' order."""
    keys = sorted(range(len(items)), key=lambda i: -(rng.random() ** (1.0 / item_weights[i])))
    return sorted(keys[: max(0, k)])
