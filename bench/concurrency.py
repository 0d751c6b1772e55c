"""Benchmark: adaptive concurrency (issue 12) against the bundled emulator, live-like.

    /work/main/.venv/bin/python bench/concurrency.py [--charges 100000 --customers 10000] [--max-in-flight 8]
                                                    [--no-reference] [--out bench/results-concurrency.md]

Three reads of charges + customers (full refresh) on one emulator (250 ms + 2 ms per object, live rate limit
100 req/s, key `sk_live_emulator_bench`), each with the default config (`num_workers` absent: auto):
1. no concurrency limit: target ≥ 70 % of the 100 req/s ceiling, exact records, no 429;
2. the emulator's concurrency limiter at `--max-in-flight` (8): exact records, ≤ 10 % of requests answered 429, and
   ≥ 80 % of the throughput that many requests in flight allow: measured by run 3, or with `--no-reference` the
   upper bound max_in_flight ÷ the emulator's mean time per request (250 ms + 2 ms × objects per page), which
   leaves out every other cost (start-up, the first probes, the last windows);
3. (unless `--no-reference`) `num_workers` = max_in_flight and no limit: what that many in flight reach.
Writes the table to `--out` and exits 1 when a target is missed. See bench/README.md.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import KEY, LIVE_RATE, RECORD_RE, TRACE_ERROR_RE, EmulatorProc, catalog, machine, ours_argv, ours_config  # noqa: E402

BENCH = Path(__file__).resolve().parent
STREAMS = ["charges", "customers"]
CONCURRENCY_LOG = b"Concurrency: "


def read(config: dict, timeout: float = 3600) -> dict:
    """`main.py read` of STREAMS: records per stream, error traces, the connector's last concurrency log line, wall
    time and peak RSS of that one process."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg, cat = Path(tmp) / "config.json", Path(tmp) / "catalog.json"
        cfg.write_text(json.dumps(config))
        cat.write_text(json.dumps(catalog(STREAMS)))
        counts: Counter = Counter()
        errors, last_report = 0, ""
        started = time.perf_counter()
        proc = subprocess.Popen(ours_argv() + ["read", "--config", str(cfg), "--catalog", str(cat)],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=tmp, bufsize=1 << 20)
        for line in proc.stdout:
            match = RECORD_RE.match(line)
            if match:
                counts[match.group(1).decode()] += 1
            elif TRACE_ERROR_RE.search(line):
                errors += 1
            elif CONCURRENCY_LOG in line:
                last_report = json.loads(line)["log"]["message"]
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return {"records": dict(counts), "errors": errors, "rc": proc.returncode, "seconds": time.perf_counter() - started,
            "rss_mb": usage.ru_maxrss / 1024.0, "cpu": usage.ru_utime + usage.ru_stime, "report": last_report,
            "load": os.getloadavg()[0]}


def measured(emu: EmulatorProc, label: str, config: dict, expected: dict, latency_ms: float, per_object_ms: float,
             in_flight: int) -> dict:
    emu.stats(reset=True)
    run = read(config)
    stats = emu.stats()
    refused = stats["rate_limited"]
    pages = stats["total"] - refused
    seconds = run["seconds"]
    service = (latency_ms + per_object_ms * stats["objects"] / max(1, pages)) / 1000.0
    run.update(
        label=label, requests=stats["total"], refused=refused, by_reason=stats.get("rate_limited_by_reason", {}),
        peak=stats.get("max_in_flight", 0), pages_per_second=pages / seconds,
        ceiling=pages / LIVE_RATE / seconds, allowance=(pages / seconds) / (in_flight / service),
        exact=run["records"] == expected and not run["errors"] and run["rc"] == 0,
    )
    print(f"  {label}: {sum(run['records'].values())} records in {seconds:.1f} s, {stats['total']} requests, "
          f"429s {run['by_reason'] or 0}, peak {run['peak']} in flight, {run['pages_per_second']:.1f} pages/s; "
          f"{run['report']}", flush=True)
    return run


def row(run: dict) -> str:
    reasons = ", ".join(f"{n} {reason}" for reason, n in sorted(run["by_reason"].items())) or "0"
    share = 100.0 * run["refused"] / max(1, run["requests"])
    return (f"| {run['label']} | {sum(run['records'].values())}{'' if run['exact'] else ' (NOT EXACT)'} | "
            f"{run['seconds']:.1f} | {run['requests']} | {reasons} ({share:.1f} %) | {run['pages_per_second']:.1f} | "
            f"{100 * run['ceiling']:.1f} % | {100 * run['allowance']:.1f} % | {run['peak']} | {run['rss_mb']:.0f} | "
            f"{run['cpu']:.1f} | {run['load']:.1f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charges", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=250)
    parser.add_argument("--per-object-ms", type=float, default=2)
    parser.add_argument("--max-in-flight", type=int, default=8)
    parser.add_argument("--no-reference", action="store_true", help="skip the num_workers = max-in-flight run")
    parser.add_argument("--out", default=str(BENCH / "results-concurrency.md"))
    args = parser.parse_args()
    command = " ".join([Path(sys.executable).name, "bench/concurrency.py"] + sys.argv[1:])
    print(f"bench: {command}", flush=True)

    emu = EmulatorProc(args.charges, args.customers, args.latency_ms, args.per_object_ms, rate_limit=True)
    expected = {"charges": emu.info["charges"], "customers": emu.info["customers"]}
    limit = args.max_in_flight
    cost = (args.latency_ms, args.per_object_ms)
    try:
        print(f"emulator {emu.url}: {emu.info}", flush=True)
        free = measured(emu, "auto, no concurrency limit", ours_config(emu.url), expected, *cost, in_flight=limit)
        emu.settings(max_in_flight=limit)
        limited = measured(emu, f"auto, emulator limit {limit} in flight", ours_config(emu.url), expected, *cost,
                           in_flight=limit)
        emu.settings(max_in_flight=0)
        runs = [free, limited]
        if not args.no_reference:
            runs.append(measured(emu, f"num_workers {limit}, no limit", ours_config(emu.url, num_workers=limit),
                                 expected, *cost, in_flight=limit))
    finally:
        emu.stop()

    reference = runs[2] if len(runs) > 2 else None
    allowed = reference["pages_per_second"] if reference else limited["pages_per_second"] / limited["allowance"]
    share = limited["pages_per_second"] / allowed
    targets = [
        ("auto: ≥ 70 % of the ceiling", free["ceiling"] >= 0.70),
        ("auto: exact records, no 429", free["exact"] and free["refused"] == 0),
        (f"limit {limit}: exact records", limited["exact"]),
        (f"limit {limit}: ≤ 10 % of requests answered 429", limited["refused"] <= 0.10 * limited["requests"]),
        (f"limit {limit}: ≥ 80 % of what {limit} in flight allow ({100 * share:.0f} %)", share >= 0.80),
    ]
    lines = [
        f"# Adaptive concurrency benchmark, {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}", "",
        f"Machine: {machine()}", "", f"Command: `{command}`", "",
        f"Emulator: {emu.info['charges']} charges + {emu.info['customers']} customers, latency {args.latency_ms:g} ms "
        f"+ {args.per_object_ms:g} ms/object, live rate limit (100 req/s), key `{KEY}`; full refresh, default config "
        "unless said.", "",
        f"| run | records | seconds | requests | 429s (share) | pages/s | of 100 req/s ceiling | of {limit} in flight's "
        "allowance | peak in flight | peak RSS MB | connector CPU s | load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
        *[row(run) for run in runs], "",
        "Load avg: the machine's 1-minute load average when the read ended (2 cores: above 2, the connector and the "
        "emulator wait for a CPU, other processes included).", "",
        f"{limit} in flight's allowance: {limit} ÷ the emulator's mean time per request (latency + per-object time × "
        "objects per page), an upper bound that leaves out start-up, the first probes and the last windows.", "",
        f"With the limit at {limit}: {limited['pages_per_second']:.1f} pages/s, {100 * share:.0f} % of "
        + (f"num_workers {limit} without a limit ({allowed:.1f} pages/s)." if reference
           else f"the allowance ({allowed:.1f} pages/s)."), "",
        *[f"- {'met' if ok else 'MISSED'}: {name}" for name, ok in targets], "",
        *[f"- last log of \"{run['label']}\": {run['report'] or '(none: the read took under 10 s)'}" for run in runs],
    ]
    report = "\n".join(lines) + "\n"
    print("\n" + report)
    Path(args.out).write_text(report)
    return 0 if all(ok for _name, ok in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
