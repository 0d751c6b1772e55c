"""Before/after at zero latency: this tree's connector against another checkout's, on one emulator, interleaved.

    /work/main/.venv/bin/python bench/compare.py --other /tmp/before [--charges 100000] [--reps 4] [--num-workers N]

On a shared machine the same read's CPU varies by a third from one minute to the next, more than most changes
make: two figures taken minutes apart compare the machine, not the code. This script reads the same 100k charges
with both connectors in turn (other, this, other, this, ...) from one emulator (zero latency, rate limit off,
`call_rate_limit` lifted) and prints, per connector, the median and the range over the repetitions of: CPU µs per
record (start-up included), records/s wall, the main thread's and the other threads' CPU, and peak RSS. Every read
must return exactly the seeded records (exit 1 otherwise). Writes bench/results-compare.md.

The other checkout is a `git worktree add /tmp/before <commit>` (or any copy of the repository); it runs with this
tree's virtualenv.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (bench/run.py: the emulator process and the measured read)


def measure(emu: bench.EmulatorProc, label: str, main_py: Path, charges: int, extra: dict) -> dict:
    config = bench.ours_config(emu.url, call_rate_limit=100000, **extra)
    r = bench.measured(emu, label, [bench.PY, str(main_py)], config, ["charges"])
    if r["rc"] != 0 or r["errors"] or r["records"] != charges:
        raise SystemExit(f"{label}: {r['records']} records of {charges}, exit {r['rc']}, {r['errors']} error traces")
    return {"us": r["cpu"] / r["records"] * 1e6, "rps": r["records"] / r["seconds"], "main": r["main_cpu"],
            "other": r["cpu"] - r["main_cpu"], "rss": r["rss_mb"]}


def summary(runs: list[dict], key: str, fmt: str) -> str:
    values = [run[key] for run in runs]
    return f"{format(statistics.median(values), fmt)} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--other", required=True, help="the other checkout (its main.py is run)")
    ap.add_argument("--charges", type=int, default=100000)
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--num-workers", type=int, default=None, help="num_workers for both (default: absent, auto)")
    ap.add_argument("--out", default=str(bench.BENCH / "results-compare.md"))
    args = ap.parse_args()
    extra = {} if args.num_workers is None else {"num_workers": args.num_workers}
    other, this = Path(args.other).resolve(), bench.REPO
    sides = {f"other ({other})": other / "main.py", "this tree": this / "main.py"}
    runs: dict = {label: [] for label in sides}
    emu = bench.EmulatorProc(args.charges, 10, 0, 0, rate_limit=False)
    try:
        for _ in range(args.reps):
            for label, main_py in sides.items():
                runs[label].append(measure(emu, label, main_py, args.charges, extra))
    finally:
        emu.stop()
    lines = [
        f"# Zero-latency before/after, {dt.datetime.now():%Y-%m-%d %H:%M}",
        "",
        f"Machine: {bench.machine()}",
        "",
        f"Command: `python bench/compare.py --other {args.other} --charges {args.charges} --reps {args.reps}"
        + (f" --num-workers {args.num_workers}`" if args.num_workers is not None else "`"),
        "",
        f"{args.charges} charges, full refresh, zero latency, rate limit off; both connectors in turn, {args.reps} times "
        "each. Median (min–max) over the repetitions.",
        "",
        "| connector | CPU µs/record | records/s | main thread CPU s | other threads CPU s | peak RSS MB |",
        "|---|---|---|---|---|---|",
    ]
    for label, measured in runs.items():
        lines.append(f"| {label} | {summary(measured, 'us', '.0f')} | {summary(measured, 'rps', '.0f')} | "
                     f"{summary(measured, 'main', '.2f')} | {summary(measured, 'other', '.2f')} | "
                     f"{summary(measured, 'rss', '.0f')} |")
    text = "\n".join(lines) + "\n"
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
