"""Benchmark: an incremental sync of every stream when nothing changed, against the emulator.

    python bench/no_change.py [--latency-ms 0] [--key sk_live_emulator_bench]

Runs a first sync of every stream (incremental where offered), waits a moment, then times a second sync from its
state and counts the requests the emulator received: the target is ≤ 2 s and at most one `/v1/events` page per
events-backed stream.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integration_tests.connector import configured_catalog, emulator_config, run_connector  # noqa: E402
from integration_tests.emulator import Emulator  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--key", default="sk_live_emulator_bench")
    parser.add_argument("--scale", type=int, default=2)
    args = parser.parse_args()
    with Emulator(seed=11, scale=args.scale) as emulator:
        config = emulator_config(emulator.url)
        config["credentials"]["access_token"] = args.key
        streams = run_connector("discover", config).of_type("CATALOG")[0]["catalog"]["streams"]
        modes = {s["name"]: "incremental" if "incremental" in s["supported_sync_modes"] else "full_refresh" for s in streams}
        catalog = configured_catalog(modes, streams)
        first = run_connector("read", config, catalog)
        if first.returncode:
            print(first.stderr, file=sys.stderr)
            return 1
        time.sleep(1.5)
        if args.latency_ms:
            emulator.settings(latency_ms=args.latency_ms)
        emulator.reset_stats()
        started = time.time()
        second = run_connector("read", config, catalog, first.final_state())
        seconds = time.time() - started
        routes = emulator.stats()["by_route"]
        evented = sum(1 for mode in modes.values() if mode == "incremental")
        print(f"streams: {len(modes)} ({evented} incremental), key {args.key[:8]}…, latency {args.latency_ms:g} ms")
        print(f"no-change incremental sync: {seconds:.2f} s, exit {second.returncode}, "
              f"{sum(routes.values())} requests, {routes.get('/v1/events', 0)} of them /v1/events pages, "
              f"{len(second.of_type('RECORD'))} records (the full-refresh streams)")
        return second.returncode


if __name__ == "__main__":
    sys.exit(main())
