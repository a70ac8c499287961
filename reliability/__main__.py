"""`python -m reliability [--seed N] [--only NAME] [--quick] [--commands freeze,export]`: every
campaign, its figures, and as the last line
`reliability: N inputs, K kills, T tracebacks, L rows lost, H hangs` (or what broke)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from reliability.outcome import Outcome

CAMPAIGNS = ("hostile", "kills", "concurrency")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m reliability", description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=2026, help="seed of every generated input and kill moment")
    p.add_argument("--only", choices=CAMPAIGNS, action="append", help="run only these campaigns")
    p.add_argument("--quick", action="store_true", help="a small version of each campaign (minutes, not an hour)")
    p.add_argument("--workdir", help="where the campaigns write (default: a temporary folder)")
    p.add_argument(
        "--commands",
        help="kills: only these commands, comma-separated (a failure replays with the same seed)",
    )
    args = p.parse_args(argv)
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
        root = Path(args.workdir or tmp)
        for name in args.only or CAMPAIGNS:
            module = __import__(f"reliability.{name}", fromlist=["campaign"])
            started = time.perf_counter()
            extra = {"commands": tuple(args.commands.split(","))} if name == "kills" and args.commands else {}
            outcome = module.campaign(seed=args.seed, quick=args.quick, workdir=root / name, **extra)
            outcome.seconds = time.perf_counter() - started
            print(outcome.line(), flush=True)
            for failure in outcome.failures:
                print(f"  FAILED {failure}", flush=True)
            outcomes.append(outcome)
    total = Outcome("reliability")
    for o in outcomes:
        total.inputs += o.inputs
        total.kills += o.kills
        total.tracebacks += o.tracebacks
        total.rows_lost += o.rows_lost
        total.hangs += o.hangs
        total.failures += o.failures
    print(
        f"reliability: {total.inputs} inputs, {total.kills} kills, {total.tracebacks} tracebacks, "
        f"{total.rows_lost} rows lost, {total.hangs} hangs"
        + (f", {len(total.failures)} other failures" if total.failures else "")
    )
    return 0 if all(o.clean for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
