"""`python -m bench`: measure the sync job against its yardsticks and write the figures and the chart."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from bench.report import table, write_chart, write_json, write_markdown
from bench.suite import Options, run

ROOT = Path(__file__).resolve().parents[1]


def _sizes(text: str) -> tuple[int, ...]:
    try:
        sizes = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError("a comma-separated list of row counts, e.g. 10000,100000") from None
    if not sizes or min(sizes) < 100:
        raise argparse.ArgumentTypeError("each size must be at least 100")
    return sizes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--sizes", type=_sizes, default=(10_000, 100_000), help="N values (default 10000,100000)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="directory for latest.json")
    parser.add_argument("--chart", type=Path, default=ROOT / "docs" / "img" / "bench-sync.png", help="PNG to write")
    parser.add_argument(
        "--doc", type=Path, default=ROOT / "docs" / "performance.md", help="page whose figures are rewritten"
    )
    parser.add_argument("--latency-ms", type=float, default=10.0, help="one-way delay of the delay line (default 10)")
    parser.add_argument("--naive-max", type=int, default=10_000, help="largest N for the row-by-row run")
    parser.add_argument("--latency-max", type=int, default=100_000, help="largest N for the delayed run")
    parser.add_argument("--seed", type=int, default=20_260_101, help="generator seed")
    parser.add_argument("--timeout-s", type=float, default=3600.0, help="longest one job run may take")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    options = Options(
        sizes=tuple(sorted(set(args.sizes))),
        seed=args.seed,
        latency_s=args.latency_ms / 1000,
        naive_max=args.naive_max,
        latency_max=args.latency_max,
        timeout_s=args.timeout_s,
    )
    results = run(options)
    print("\n" + table(results))
    written = [write_json(results, args.out), write_chart(results, args.chart)]
    if args.doc.exists():
        written.append(write_markdown(results, args.doc))
    print(f"\nwrote {', '.join(str(path) for path in written)}")
    failed = any(size["errors"] for size in results["sizes"])
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
