"""python -m integration_tests.emulator --port 12111 --seed 1 --scale 20 [--latency-ms 250] [--no-rate-limit]"""
from __future__ import annotations

import argparse
import sys

from .server import Emulator


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m integration_tests.emulator", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=12111)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--scale", type=int, default=20)
    p.add_argument("--latency-ms", type=float, default=0)
    p.add_argument("--per-object-ms", type=float, default=0)
    p.add_argument("--no-rate-limit", action="store_true")
    a = p.parse_args(argv)
    if a.host not in ("127.0.0.1", "localhost", "::1"):
        p.error("the emulator only listens on loopback")
    emu = Emulator(seed=a.seed, scale=a.scale, rate_limit=not a.no_rate_limit, latency_ms=a.latency_ms,
                   per_object_ms=a.per_object_ms, port=a.port, host=a.host).start()
    emu.serve_until_signal(ready=lambda: print(f"emulator listening on {emu.url}", flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
