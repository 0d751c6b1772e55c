"""Connect scale benchmark (issue 11): N connected accounts with a few objects each, a first sync and a no-change
incremental sync with `capture_connected_accounts: true`. A benchmark script, not a test.

    /work/main/.venv/bin/python bench/connect_scale.py [--accounts 2000] [--workers 10] [--latency-ms 0]
                                                       [--add-accounts K] [--objects 2] [--out bench/results-connect.md]

See bench/README.md ("Connected accounts at scale"). Exit 0 when every sync exits 0 and its records match the
emulator's truth.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(BENCH))

from integration_tests.connector import configured_catalog  # noqa: E402
from run import machine  # noqa: E402  (bench/run.py: the machine line every benchmark prints)
from integration_tests.emulator.events import EVENT_TYPES  # noqa: E402

PY = sys.executable
KEY = "sk_live_emulator_bench"  # a live key: the connector's budget is `call_rate_limit` (below), the emulator's is off
DAY = 86400
PAGE = 100  # Stripe's largest page: /v1/accounts pages of 100


# ----------------------------------------------------------------------------------------------- emulator
class EmulatorProcess:
    """bench/emulator_server.py in a subprocess (its CPU is not the connector's), with no seed data and no rate
    limit: the data is the accounts this benchmark seeds through the control plane."""

    def __init__(self, latency_ms: float):
        args = [PY, str(BENCH / "emulator_server.py"), "--port", "0", "--scale", "0", "--seed", "11",
                "--latency-ms", str(latency_ms), "--no-rate-limit"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, cwd=REPO)
        line = self.proc.stdout.readline() if self.proc.stdout else b""
        if not line:
            raise RuntimeError("the emulator did not start (bench/emulator_server.py printed nothing)")
        self.url = json.loads(line)["url"]

    def call(self, method: str, path: str, body: dict | None = None, timeout: float = 120) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + "/_emulator/" + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())

    def seed_accounts(self, count: int, objects: dict[str, int], at: int) -> tuple[list[str], float]:
        started = time.perf_counter()
        ids = self.call("POST", "accounts/seed", {"count": count, "objects": objects, "at": at})["ids"]
        return ids, time.perf_counter() - started

    def create(self, stream: str, at: int) -> None:
        self.call("POST", f"objects/{stream}", {"at": at})

    def stats(self, reset: bool = False) -> dict:
        return self.call("GET", "stats" + ("?reset=1" if reset else ""))

    def truth(self, stream: str, start_date: int) -> set[tuple[str, str, str]]:
        """(stream, account_id, id) of every object a full read from `start_date` returns, over the platform and
        every connected account (integration_tests/truth.py `expected_account_ids`)."""
        query = urllib.parse.urlencode({"start_date": start_date, "accounts": "all"})
        pairs = self.call("GET", f"truth/{stream}?{query}")["pairs"]
        return {(stream, account, id_) for account, id_ in pairs}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ----------------------------------------------------------------------------------------------- one sync
@dataclass
class Sync:
    """What one `main.py read` did: its process figures, its records' keys, its final state and its errors."""

    label: str
    wall: float = 0.0
    cpu: float = 0.0
    rss_mb: float = 0.0
    returncode: int = 0
    records: set[tuple[str, str | None, str]] = field(default_factory=set)
    record_count: int = 0
    without_account_id: int = 0
    states: dict[str, dict] = field(default_factory=dict)  # stream (or "<global>") -> last STATE message's state
    state_messages: int = 0
    errors: list[str] = field(default_factory=list)
    stderr_tail: str = ""
    routes: Counter = field(default_factory=Counter)
    requests: int = 0

    @property
    def final_state(self) -> list[dict]:
        return list(self.states.values())

    @property
    def state_bytes(self) -> int:
        return len(json.dumps(self.final_state).encode())


def run_read(label: str, config: dict, catalog: dict, state: list[dict] | None, timeout: float) -> Sync:
    """Runs `python main.py read`, parsing stdout as it streams (state messages can be large: only the last of each
    stream is kept); wall, CPU and peak RSS of that one child (os.wait4)."""
    sync = Sync(label)
    with tempfile.TemporaryDirectory() as tmp:
        args = [PY, str(REPO / "main.py"), "read"]
        for name, value in (("config", config), ("catalog", catalog), ("state", state)):
            if value is not None:
                (Path(tmp) / f"{name}.json").write_text(json.dumps(value))
                args += [f"--{name}", str(Path(tmp) / f"{name}.json")]
        profile = os.environ.get("CONNECT_SCALE_PYSPY")  # `<py-spy>:<out file>`: profile the no-change sync
        if profile and label == "no-change sync":
            spy, out = profile.split(":", 1)
            args = [spy, "record", "--gil", "--nonblocking", "-r", "100", "-f", "raw", "-o", out, "--", *args]
        err = Path(tmp) / "stderr.txt"
        with open(err, "wb") as stderr:
            started = time.perf_counter()
            proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, cwd=tmp, bufsize=1 << 20)
            killer = threading.Timer(timeout, proc.kill)
            killer.start()
            try:
                for line in proc.stdout or ():
                    _take(sync, line)
                _pid, status, usage = os.wait4(proc.pid, 0)
            finally:
                killer.cancel()
            sync.wall = time.perf_counter() - started
        proc.returncode = sync.returncode = os.waitstatus_to_exitcode(status)
        sync.cpu, sync.rss_mb = usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0
        if sync.returncode or sync.errors:
            sync.stderr_tail = err.read_text(errors="replace")[-3000:]
        if sync.wall >= timeout:
            sync.errors.append(f"killed after the {timeout:.0f} s timeout (hung? see py-spy dump in bench/README.md)")
    return sync


def _take(sync: Sync, line: bytes) -> None:
    if not line.strip():
        return
    try:
        message = json.loads(line)
    except ValueError:
        sync.errors.append("not JSON on stdout: " + line[:200].decode(errors="replace"))
        return
    kind = message.get("type")
    if kind == "RECORD":
        record = message["record"]
        data = record.get("data") or {}
        sync.record_count += 1
        if data.get("account_id") is None:
            sync.without_account_id += 1
        sync.records.add((record["stream"], data.get("account_id"), data.get("id")))
    elif kind == "STATE":
        state = message["state"]
        sync.state_messages += 1
        if state.get("type") == "STREAM":
            sync.states[state["stream"]["stream_descriptor"]["name"]] = state
        else:
            sync.states["<global>"] = state
    elif kind == "TRACE" and message["trace"].get("type") == "ERROR":
        error = message["trace"]["error"]
        sync.errors.append(f"{error.get('failure_type')}: {error.get('message')}")
    elif kind == "LOG" and message["log"].get("level") in ("ERROR", "FATAL"):
        sync.errors.append("log: " + message["log"]["message"][:500])


# ----------------------------------------------------------------------------------------------- floor
@dataclass(frozen=True)
class Floor:
    """The requests a sync cannot avoid, at the connector's rate limit: 1 `/v1/account` + the `/v1/accounts` pages,
    then one list page per stream for each account read for the first time (the platform included; every account
    holds fewer than 100 objects of each stream), and for each account read before, with nothing new, one
    `/v1/events` page for all the evented streams together + one page per created-cursor stream
    (`balance_transactions`: no events)."""

    requests: int
    seconds: float

    @classmethod
    def of(cls, streams: list[str], read_before: int, new: int, rate: float) -> "Floor":
        """`read_before` / `new`: accounts, the platform counted, the previous sync read / did not read."""
        evented = [s for s in streams if EVENT_TYPES.get(s)]
        incremental = (1 if evented else 0) + len(streams) - len(evented)
        connected = read_before + new - 1
        requests = 1 + max(1, math.ceil(connected / PAGE)) + new * len(streams) + read_before * incremental
        return cls(requests, requests / rate)


# ----------------------------------------------------------------------------------------------- checks
def check(sync: Sync, truth: set, must_include: set) -> str:
    """'ok' when every record is the truth's and `must_include` is all there, else what is missing or extra."""
    missing = must_include - sync.records
    extra = sync.records - truth
    problems = []
    if missing:
        problems.append(f"{len(missing)} missing, e.g. {sorted(missing, key=str)[:3]}")
    if extra:
        problems.append(f"{len(extra)} not in the emulator's truth, e.g. {sorted(extra, key=str)[:3]}")
    if sync.without_account_id:
        problems.append(f"{sync.without_account_id} records without account_id"
                        + (" (none has one: does the connector read connected accounts, `capture_connected_accounts`?)"
                           if sync.without_account_id == sync.record_count else ""))
    return "ok" if not problems else "; ".join(problems)


def report(sync: Sync, floor: Floor, verdict: str) -> None:
    print(f"\n{sync.label}: exit {sync.returncode}, wall {sync.wall:.1f} s = {sync.wall / floor.seconds:.2f}x "
          f"the floor "
          f"({floor.requests} requests, {floor.seconds:.1f} s), CPU {sync.cpu:.1f} s, peak RSS {sync.rss_mb:.0f} MB, "
          f"{sync.record_count} records, state {sync.state_bytes} bytes ({sync.state_messages} state messages), "
          f"{sync.requests} requests", flush=True)
    print("  requests by route:", dict(sync.routes.most_common()), flush=True)
    print("  truth:", verdict, flush=True)
    for error in sync.errors[:5]:
        print("  ERROR", error[:600], flush=True)
    if sync.stderr_tail:
        print("  stderr tail:\n" + sync.stderr_tail[-1500:], flush=True)


def row(sync: Sync, floor: Floor, verdict: str) -> str:
    routes = ", ".join(f"{route} {n}" for route, n in sync.routes.most_common())
    return (f"| {sync.label} | {sync.returncode} | {sync.wall:.1f} | {floor.seconds:.1f} ({floor.requests} req) | "
            f"{sync.wall / floor.seconds:.2f}x | {sync.requests} | {sync.cpu:.1f} | {sync.rss_mb:.0f} | "
            f"{sync.state_bytes} | {sync.record_count} | {verdict if len(verdict) < 80 else verdict[:77] + '...'} | "
            f"{routes} |")


# ----------------------------------------------------------------------------------------------- main
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=2000, help="connected accounts (default 2000)")
    ap.add_argument("--objects", type=int, default=2, help="customers and charges per account (default 2 each)")
    ap.add_argument("--workers", type=int, default=10, help="the connector's num_workers (default 10)")
    ap.add_argument("--rate", type=int, default=100, help="the connector's call_rate_limit (default 100/s)")
    ap.add_argument("--latency-ms", type=float, default=0, help="emulator latency per request (default 0)")
    ap.add_argument("--add-accounts", type=int, default=0, help="accounts created between the two syncs")
    ap.add_argument("--streams", default="charges,customers,balance_transactions")
    ap.add_argument("--timeout", type=float, default=0,
                    help="seconds before a sync is killed (default: 300 + 10 x its floor)")
    ap.add_argument("--out", default=str(BENCH / "results-connect.md"))
    a = ap.parse_args()
    streams = a.streams.split(",")
    command = " ".join(["python", "bench/connect_scale.py", *sys.argv[1:]])
    print(f"bench: {command}", flush=True)

    now = int(time.time())
    at, added_at = now - 5 * DAY, now - 40 * DAY  # added accounts: older than the first sync, out of events' 30 days
    start = now - 90 * DAY
    start_date = dt.datetime.fromtimestamp(start, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    objects = {"customers": a.objects, "charges": a.objects}
    config = {"credentials": {"credentials_title": "Private App Credentials", "access_token": KEY},
              "start_date": start_date, "capture_connected_accounts": True, "num_workers": a.workers,
              "call_rate_limit": a.rate}
    catalog = configured_catalog({name: "incremental" for name in streams})
    rows: list[str] = []
    notes: list[str] = []
    ok = True
    emu = EmulatorProcess(a.latency_ms)
    try:
        config["api_base_url"] = emu.url
        for stream, n in objects.items():  # the platform holds the same objects as each account
            for _ in range(n):
                emu.create(stream, at)
        accounts, seed_seconds = emu.seed_accounts(a.accounts, objects, at)
        notes.append(f"seeded {len(accounts)} connected accounts x ({a.objects} customers + {a.objects} charges) "
                     f"with their events in {seed_seconds:.1f} s (POST /_emulator/accounts/seed)")
        print(notes[-1], flush=True)

        def measured(label: str, state: list[dict] | None, read_before: int, must_include) -> Sync:
            accounts_now = 1 + len(emu.call("GET", "objects/accounts")["ids"])  # the platform and its accounts
            floor = Floor.of(streams, read_before, accounts_now - read_before, a.rate)
            emu.stats(reset=True)
            sync = run_read(label, config, catalog, state, a.timeout or 300 + 10 * floor.seconds)
            stats = emu.stats()
            sync.routes, sync.requests = Counter(stats.get("by_route") or {}), stats.get("total", 0)
            truth = set().union(*(emu.truth(s, start) for s in streams))
            verdict = check(sync, truth, must_include(truth) if callable(must_include) else must_include)
            if sync.returncode != 0:
                verdict = f"sync did not finish (exit {sync.returncode}); " + verdict
            report(sync, floor, verdict)
            rows.append(row(sync, floor, verdict))
            nonlocal ok
            ok = ok and sync.returncode == 0 and not sync.errors and verdict == "ok"
            return sync

        first = measured("first sync", None, 0, lambda truth: truth)
        if first.returncode != 0 and not first.states:
            print("\nthe first sync failed before any state: no second sync", flush=True)
        else:
            added: list[str] = []
            if a.add_accounts:
                added, seconds = emu.seed_accounts(a.add_accounts, objects, added_at)
                notes.append(f"added {len(added)} accounts between the syncs (objects created {added_at}, 40 days "
                             f"ago: older than the first sync's cursors and than events' 30-day retention) in "
                             f"{seconds:.1f} s")
                print(notes[-1], flush=True)
            time.sleep(1.0)  # the second sync's clock is past the first's
            new = set(added)
            label = "no-change sync" + (f" (+{len(added)} new accounts)" if added else "")
            second = measured(label, first.final_state, 1 + len(accounts),
                              lambda truth: {key for key in truth if key[1] in new})
            reemitted = sum(1 for key in second.records if key[1] not in new)
            notes.append(f"{label}: {reemitted} records of accounts the first sync had read were emitted again")
    finally:
        emu.stop()

    lines = [f"# Connected accounts at scale, {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}", "",
             f"Machine: {machine()}", "", f"Command: `{command}`", "",
             f"{a.accounts} connected accounts + the platform, each with {a.objects} customers + {a.objects} charges; "
             f"streams {', '.join(streams)} (incremental); `capture_connected_accounts: true`, `num_workers` "
             f"{a.workers}, `call_rate_limit` {a.rate:g}/s; emulator latency {a.latency_ms:g} ms, its rate limit off.",
             "",
             "| sync | exit | wall s | floor s (requests) | wall / floor | requests | CPU s | peak RSS MB "
             "| state bytes | records | truth | requests by route |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    lines += rows + [""] + [f"- {n}" for n in notes]
    lines.append("- floor: 1 `/v1/account` + the `/v1/accounts` pages + one list page per stream for each account "
                 "not read before (the platform included) + for each account read before one `/v1/events` page for "
                 "the evented streams together and one page per created-cursor stream, at `call_rate_limit`")
    text = "\n".join(lines) + "\n"
    Path(a.out).write_text(text)
    print("\n" + text, flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
