"""Benchmark: continuous mode's latency and request economy against the emulator.

    python bench/latency.py [--interval 2] [--changes 40] [--latency-ms 250] [--streams 12]

Starts a continuous read (`poll_interval_seconds: --interval`) of the most-changed streams, parents and children,
waits for its backfill, then:
- idle: counts the requests of 20 s without changes (one `/v1/events` page per poll is the target);
- changes: makes `--changes` creates / updates / deletes at random moments, one every 0.5-2 s, and measures for each
  the time from the change to its record on the connector's stdout (p50, p95, max; the target is p95 <= interval +
  2 s);
- stop: SIGTERM, and how long the run takes to end.
The emulator answers each request after `--latency-ms` (Stripe: ~300 ms to 1 s a page). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integration_tests.connector import ContinuousProcess, configured_catalog, emulator_config, run_connector  # noqa: E402
from integration_tests.emulator import Emulator  # noqa: E402

START_TS = 1735689600
STREAMS = ["charges", "customers", "invoices", "invoice_line_items", "subscriptions", "subscription_items",
           "payment_intents", "products", "prices", "refunds", "payment_methods", "customer_balance_transactions"]
LIVE_RATE = 100  # requests per second, a live key


def change(store, rng: random.Random):
    """One random change through the emulator's store: (stream, id, a check of the record that shows it)."""
    kind = rng.choice(["create charge", "update customer", "update product", "create invoice line", "create refund",
                       "update subscription", "attach payment method"])
    live = lambda stream: [o["id"] for o in store.live_objects(stream) if o.get("created", 0) >= START_TS]  # noqa: E731
    marker = {"bench": str(rng.random())}
    if kind == "create charge":
        return "charges", store.create("charges")["id"], lambda d: True
    if kind == "update customer":
        object_id = rng.choice(live("customers"))
        store.update("customers", object_id, {"metadata": marker})
        return "customers", object_id, lambda d: d.get("metadata") == marker
    if kind == "update product":
        object_id = rng.choice(live("products"))
        store.update("products", object_id, {"metadata": marker})
        return "products", object_id, lambda d: d.get("metadata") == marker
    if kind == "create invoice line":
        return "invoice_line_items", store.create("invoice_line_items", parent_id=rng.choice(live("invoices")))["id"], \
            lambda d: True
    if kind == "create refund":
        return "refunds", store.create("refunds")["id"], lambda d: True
    if kind == "update subscription":
        object_id = rng.choice(live("subscriptions"))
        store.update("subscriptions", object_id, {"metadata": marker})
        return "subscriptions", object_id, lambda d: d.get("metadata") == marker
    return "payment_methods", store.create("payment_methods", parent_id=rng.choice(live("customers")))["id"], \
        lambda d: True


def percentile(values, fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=int, default=2)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--latency-ms", type=float, default=250)
    parser.add_argument("--streams", type=int, default=len(STREAMS))
    parser.add_argument("--all", action="store_true", help="every stream that offers incremental, not --streams")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    streams = STREAMS[: args.streams]
    rng = random.Random(args.seed)
    with Emulator(seed=args.seed, scale=5, latency_ms=args.latency_ms) as emulator:
        discovered = run_connector("discover", emulator_config(emulator.url)).of_type("CATALOG")[0]["catalog"]["streams"]
        if args.all:
            streams = [s["name"] for s in discovered if "incremental" in s["supported_sync_modes"]]
        catalog = configured_catalog({name: "incremental" for name in streams}, discovered)
        key = "sk_live_emulator_bench"
        config = emulator_config(emulator.url, poll_interval_seconds=args.interval)
        config["credentials"]["access_token"] = key
        emulator.settings(rate_limit=False)
        process = ContinuousProcess(config, catalog)
        started = time.time()
        while time.time() - started < 300:
            named = {m["state"]["stream"]["stream_descriptor"]["name"] for _t, m in process.lines if m["type"] == "STATE"}
            if set(streams) <= named:
                break
            time.sleep(0.2)
        backfill = time.time() - started
        time.sleep(args.interval * 2)
        emulator.reset_stats()
        idle_started = time.time()
        time.sleep(20)
        idle_seconds = time.time() - idle_started
        idle_routes = emulator.stats()["by_route"]
        latencies, missing = [], 0
        pending = []
        for _ in range(args.changes):
            stream, object_id, check = change(emulator.store, rng)
            pending.append((stream, object_id, check, time.time()))
            time.sleep(rng.uniform(0.5, 2.0))
        for stream, object_id, check, made in pending:
            arrived = process.wait_for(
                lambda m: m["type"] == "RECORD" and m["record"]["stream"] == stream
                and m["record"]["data"].get("id") == object_id and check(m["record"]["data"]),
                timeout=args.interval + 30,
            )
            if arrived is None:
                missing += 1
            else:
                latencies.append(max(0.0, arrived - made))
        stop_seconds = process.stop()
        run = process.run()
    idle_events = idle_routes.get("/v1/events", 0)
    polls = idle_seconds / args.interval
    print(f"# Continuous mode: {len(streams)} streams, poll_interval_seconds {args.interval}, "
          f"emulator latency {args.latency_ms:g} ms/request")
    print(f"\nMachine: {platform.machine()}, Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}\n")
    print("| measure | value |\n|---|---|")
    print(f"| backfill (first poll) | {backfill:.1f} s |")
    print(f"| idle: requests per poll | {sum(idle_routes.values()) / polls:.2f} "
          f"({idle_events} `/v1/events` of {sum(idle_routes.values())} requests in {idle_seconds:.0f} s) |")
    print(f"| idle: share of a live key's rate limit | {100 * sum(idle_routes.values()) / idle_seconds / LIVE_RATE:.2f} % |")
    if latencies:
        print(f"| change → stdout, p50 | {statistics.median(latencies):.2f} s |")
        print(f"| change → stdout, p95 | {percentile(latencies, 0.95):.2f} s (target ≤ {args.interval + 2} s) |")
        print(f"| change → stdout, max | {max(latencies):.2f} s |")
    print(f"| changes never seen | {missing} of {args.changes} |")
    print(f"| SIGTERM → exit | {stop_seconds:.2f} s, exit {run.returncode}, last message {run.messages[-1]['type']} |")
    return 0 if not missing and latencies and percentile(latencies, 0.95) <= args.interval + 2 else 1


if __name__ == "__main__":
    sys.exit(main())
