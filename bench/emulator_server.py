"""The bundled Stripe emulator, seeded with N charges and M customers, served until SIGTERM.

    python bench/emulator_server.py --port 0 --charges 20000 --customers 2000 [--scale 2 --seed 7
        --latency-ms 250 --per-object-ms 2 --no-rate-limit]

Runs in its own process so that its CPU is not the benchmark's. Builds `Emulator(seed, scale)` (scale = a few
objects of every resource), then bulk-creates the charges and customers with `emu.store.create(...)` — which also
logs one `charge.succeeded` / `customer.created` event each — with `created` spread over the last 80 days.
Prints one JSON line `{"url", "seed_seconds", "charges", "customers"}` on stdout when it is listening.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integration_tests.emulator import Emulator  # noqa: E402

SPAN = 80 * 86400


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--scale", type=int, default=2)
    p.add_argument("--charges", type=int, default=0)
    p.add_argument("--customers", type=int, default=0)
    p.add_argument("--latency-ms", type=float, default=0)
    p.add_argument("--per-object-ms", type=float, default=0)
    p.add_argument("--no-rate-limit", action="store_true")
    a = p.parse_args()

    t0 = time.perf_counter()
    emu = Emulator(seed=a.seed, scale=a.scale, rate_limit=not a.no_rate_limit, latency_ms=a.latency_ms,
                   per_object_ms=a.per_object_ms, port=a.port)
    store = emu.store
    now = store.clock.now()
    rng = random.Random(a.seed)
    # Charges first: store.create() rebuilds its id picker on every call, so a charge created while M customers
    # exist costs O(M) (20k charges after 2k customers: ~10 s instead of ~3 s); charges then point at the
    # `scale` seeded customers, which the benchmark does not care about.
    for resource, total in (("charges", a.charges), ("customers", a.customers)):
        for _ in range(max(0, total - len(store.live_objects(resource)))):
            store.create(resource, at=now - rng.randint(3600, SPAN))
    seed_seconds = time.perf_counter() - t0
    emu.start()
    announcement = json.dumps({"url": emu.url, "seed_seconds": round(seed_seconds, 3),
                               "charges": len(store.live_objects("charges")),
                               "customers": len(store.live_objects("customers")),
                               "events": len(store.events(include_expired=True))})
    emu.serve_until_signal(ready=lambda: print(announcement, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
