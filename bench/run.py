"""Benchmark: full refresh of `charges` + `customers` against the bundled Stripe emulator, ours vs Airbyte 5.14.1.

    /work/main/.venv/bin/python bench/run.py [--charges 20000 --customers 2000 --anchor-charges 2000]
                                            [--skip-anchor] [--profile] [--smoke]

See bench/README.md. Writes bench/results.md (and bench/profile.txt with --profile).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
PY = sys.executable
KEY = "sk_live_emulator_bench"
ANCHOR_VENV = BENCH / ".venv-anchor"
ANCHOR_PKG = "airbyte-source-stripe==5.14.1"
TOOLS_VENV = BENCH / ".venv-tools"
START_DATE = "2020-01-01T00:00:00Z"
LIVE_RATE = 100.0

RECORD_RE = re.compile(rb'^\{"type":\s*"RECORD",\s*"record":\s*\{[^{]*?"stream":\s*"([^"]+)"')
TRACE_ERROR_RE = re.compile(rb'"type":\s*"TRACE".*"type":\s*"ERROR"')


# ----------------------------------------------------------------------------------------------- emulator
class EmulatorProc:
    """bench/emulator_server.py in a subprocess (its CPU is not the connector's)."""

    def __init__(self, charges: int, customers: int, latency_ms: float, per_object_ms: float, rate_limit: bool):
        args = [PY, str(BENCH / "emulator_server.py"), "--port", "0", "--charges", str(charges),
                "--customers", str(customers), "--latency-ms", str(latency_ms), "--per-object-ms", str(per_object_ms)]
        if not rate_limit:
            args.append("--no-rate-limit")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, cwd=REPO)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("emulator did not start")
        self.info = json.loads(line)
        self.url = self.info["url"]

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def stats(self, reset: bool = False) -> dict:
        return self._call("GET", "/_emulator/stats" + ("?reset=1" if reset else ""))

    def settings(self, **kw) -> dict:
        return self._call("POST", "/_emulator/settings", kw)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ----------------------------------------------------------------------------------------------- runs
def catalog(streams: list[str]) -> dict:
    return {"streams": [{"stream": {"name": s, "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                         "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"} for s in streams]}


class MainThreadCPU:
    """CPU seconds of a process's main thread (the one that serialises and writes every message), read from
    /proc/<pid>/task/<pid>/stat every 0.2 s while it runs: the rest of the process's CPU is its other threads
    (the CDK's workers: HTTP, parsing, records). 0 where /proc has no such file."""

    TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, pid: int) -> None:
        self.path, self.seconds = Path(f"/proc/{pid}/task/{pid}/stat"), 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._stop.wait(0.2):
            try:
                fields = self.path.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                return
            self.seconds = (int(fields[11]) + int(fields[12])) / self.TICKS  # utime, stime

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.seconds


def run_read(argv: list[str], config: dict, streams: list[str], env: dict | None = None,
             timeout: float = 3600) -> dict:
    """Runs `<argv> read --config … --catalog …`, streaming stdout; wall, CPU and peak RSS of that one process."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg, cat, err = Path(tmp) / "config.json", Path(tmp) / "catalog.json", Path(tmp) / "stderr.txt"
        cfg.write_text(json.dumps(config))
        cat.write_text(json.dumps(catalog(streams)))
        counts: Counter = Counter()
        errors = 0
        lines = 0
        with open(err, "wb") as errf:
            t0 = time.perf_counter()
            proc = subprocess.Popen(argv + ["read", "--config", str(cfg), "--catalog", str(cat)],
                                    stdout=subprocess.PIPE, stderr=errf, cwd=tmp, env=env, bufsize=1 << 20)
            main_thread = MainThreadCPU(proc.pid)
            for line in proc.stdout:
                lines += 1
                m = RECORD_RE.match(line)
                if m:
                    counts[m.group(1).decode()] += 1
                elif b'"RECORD"' in line[:40]:  # unusual key order: parse it
                    counts[json.loads(line)["record"]["stream"]] += 1
                elif TRACE_ERROR_RE.search(line):
                    errors += 1
            main_cpu = main_thread.stop()
            _, status, ru = os.wait4(proc.pid, 0)  # this child's own rusage
            wall = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)
        stderr_tail = err.read_text(errors="replace")[-2000:]
    return {"records": sum(counts.values()), "by_stream": dict(counts), "seconds": wall,
            "cpu": ru.ru_utime + ru.ru_stime, "user": ru.ru_utime, "sys": ru.ru_stime, "main_cpu": main_cpu,
            "rss_mb": ru.ru_maxrss / 1024.0, "rc": proc.returncode, "errors": errors, "lines": lines,
            "stderr_tail": stderr_tail}


def startup_cpu(argv: list[str]) -> float:
    """CPU seconds of `<argv> spec` (interpreter + CDK import + manifest load), subtracted from the CPU figure."""
    proc = subprocess.Popen(argv + ["spec"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return ru.ru_utime + ru.ru_stime


def ours_config(url: str, **extra) -> dict:
    return {"credentials": {"credentials_title": "Private App Credentials", "access_token": KEY},
            "start_date": START_DATE, "api_base_url": url, **extra}


def ours_argv() -> list[str]:
    return [PY, str(REPO / "main.py")]


def measured(emu: EmulatorProc, label: str, argv, config, streams, env=None) -> dict:
    emu.stats(reset=True)
    r = run_read(argv, config, streams, env)
    st = emu.stats()
    r.update(label=label, requests=st["total"], rate_limited=st["rate_limited"])
    pages = st["total"] - st["rate_limited"]
    r["ceiling"] = pages / LIVE_RATE / r["seconds"] if r["seconds"] else 0.0
    print(f"  {label}: {r['records']} records {r['by_stream']} in {r['seconds']:.1f}s, rc={r['rc']}, "
          f"requests={st['total']}, 429s={st['rate_limited']}, rss={r['rss_mb']:.0f}MB, cpu={r['cpu']:.1f}s",
          flush=True)
    if r["rc"] != 0 or r["errors"]:
        print("  stderr tail:", r["stderr_tail"][-800:], flush=True)
    return r


# ----------------------------------------------------------------------------------------------- anchor
def ensure_anchor() -> tuple[Path, float | None]:
    exe = ANCHOR_VENV / "bin" / "source-stripe"
    if exe.exists():
        return exe, None
    t0 = time.perf_counter()
    subprocess.run([sys.executable if False else "python3", "-m", "venv", str(ANCHOR_VENV)], check=True)
    subprocess.run([str(ANCHOR_VENV / "bin" / "pip"), "install", "-q", ANCHOR_PKG], check=True)
    return exe, time.perf_counter() - t0


def anchor_env(url: str) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(BENCH / "anchor_shim")  # sitecustomize: https://api.stripe.com -> emulator
    env["STRIPE_EMULATOR_URL"] = url
    return env


def anchor_config() -> dict:
    return {"client_secret": KEY, "account_id": "acct_1EmulatorPlatform0", "start_date": START_DATE}


# ----------------------------------------------------------------------------------------------- profile
# cProfile of the main thread (the one that serialises and writes every message) on its CPU clock, not the wall
# clock: waiting on the queue of records is not counted. Printed on stderr (stdout carries the messages).
CPROFILE_RUNNER = """
import cProfile, pstats, runpy, sys, time
profiler = cProfile.Profile(time.thread_time)
sys.argv = sys.argv[1:]
profiler.enable()
try:
    runpy.run_path(sys.argv[0], run_name="__main__")
except SystemExit:
    pass
profiler.disable()
pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(30)
"""

# Where a sample's CPU went, by the first of these frames found in its stack (py-spy --gil: the thread holding the
# GIL, i.e. running Python).
STAGES = [
    ("start-up: imports, manifest, streams", ("_find_and_load", "SourceStripe.__init__", "<module> (main.py:3)")),
    ("page bytes -> dicts (orjson.loads)", ("json_body (",)),
    ("HTTP: requests, urllib3, rate limit, gate", ("HttpClient.send_request",)),
    ("request building (Jinja, auth, params)", ("HttpRequester.send_request",)),
    ("records: selector, transformations, partition", ("PartitionReader.process_partition",)),
    ("messages -> lines (MessageLines / CDK)", ("MessageLines.__call__", "airbyte_message_to_string")),
    ("lines -> stdout (PrintBuffer, redaction)", ("PrintBuffer.", "RedactingStream.")),
    ("main thread: queue, record messages, counts", ("AirbyteEntrypoint.run",)),
]


def summarize_stages(text: str) -> str:
    stages, total = Counter(), 0
    for line in text.splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack:
            continue
        total += int(n)
        stages[next((name for name, frames in STAGES if any(f in stack for f in frames)), "other")] += int(n)
    rows = "\n".join(f"{100.0 * v / total:6.1f}%  {k}" for k, v in stages.most_common())
    return f"### by stage (first match in the stack, in the order of the pipeline)\n```\n{rows}\n```\n"


def profile(emu: EmulatorProc, streams: list[str]) -> str:
    """py-spy (all threads, samples of the thread holding the GIL) when bench/.venv-tools has it, plus cProfile
    (main thread, its CPU clock) top 30 by own time."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        cfg, cat = Path(tmp) / "config.json", Path(tmp) / "catalog.json"
        cfg.write_text(json.dumps(ours_config(emu.url, call_rate_limit=100000)))
        cat.write_text(json.dumps(catalog(streams)))
        read = ["read", "--config", str(cfg), "--catalog", str(cat)]
        pyspy = TOOLS_VENV / "bin" / "py-spy"
        if pyspy.exists():
            raw = Path(tmp) / "pyspy.txt"
            p = subprocess.run([str(pyspy), "record", "--gil", "-r", "200", "-f", "raw", "-o", str(raw), "--"]
                               + ours_argv() + read, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp)
            if raw.exists():
                out.append(summarize_collapsed(raw.read_text()))
                out.append(summarize_stages(raw.read_text()))
            else:
                out.append("py-spy failed: " + p.stderr.decode(errors="replace")[-500:])
        prof = Path(tmp) / "cprofile.txt"
        with open(prof, "wb") as f:
            subprocess.run([PY, "-c", CPROFILE_RUNNER, str(REPO / "main.py")] + read,
                           stdout=subprocess.DEVNULL, stderr=f, cwd=tmp)
        text = prof.read_bytes().decode(errors="replace").splitlines()
        start = next((i for i, ln in enumerate(text) if "function calls" in ln), None)
        if start is not None:
            out.append("## cProfile, main thread only, thread CPU clock (-s tottime), top 30\n\n```\n"
                       + "\n".join(text[start:start + 38]) + "\n```\n")
    return "\n".join(out)


def summarize_collapsed(text: str, top: int = 30) -> str:
    """Self and inclusive sample shares per function from py-spy's collapsed stacks (all threads)."""
    self_c, incl, total = Counter(), Counter(), 0
    threads = Counter()
    for line in text.splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack:
            continue
        n = int(n)
        frames = stack.split(";")
        total += n
        threads[frames[0]] += n
        self_c[frames[-1]] += n
        for f in set(frames[1:]):
            incl[f] += n

    def fmt(c: Counter) -> str:
        return "\n".join(f"{100.0 * v / total:6.1f}%  {k[:150]}" for k, v in c.most_common(top))
    return (f"## py-spy --gil (the thread holding the GIL, 200 Hz, {total} samples)\n\n### by thread\n```\n{fmt(threads)}\n```\n"
            f"\n### self (leaf frame)\n```\n{fmt(self_c)}\n```\n\n### inclusive\n```\n{fmt(incl)}\n```\n")


# ----------------------------------------------------------------------------------------------- report
def machine() -> str:
    model = "?"
    try:
        model = next(ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, {platform.platform()}"


def row(r: dict) -> str:
    rps = r["records"] / r["seconds"] if r["seconds"] else 0
    return (f"| {r['label']} | {r['records']} | {r['seconds']:.1f} | {rps:.0f} | {r['requests']} | "
            f"{r['rate_limited']} | {100 * r['ceiling']:.1f}% | {r['rss_mb']:.0f} |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--charges", type=int, default=20000)
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--anchor-charges", type=int, default=2000)
    ap.add_argument("--skip-anchor", action="store_true")
    ap.add_argument("--profile", action="store_true", help="also profile the zero-latency run -> bench/profile.txt")
    ap.add_argument("--smoke", action="store_true", help="tiny sizes, no anchor, < 30 s (CI)")
    ap.add_argument("--latency-ms", type=float, default=250)
    ap.add_argument("--per-object-ms", type=float, default=2)
    ap.add_argument("--num-workers", type=int, default=None,
                    help="num_workers for ours (default: absent, i.e. auto: adaptive, at most 64)")
    ap.add_argument("--out", default=str(BENCH / "results.md"))
    a = ap.parse_args()
    if a.smoke:
        a.charges, a.customers, a.skip_anchor, a.profile = 300, 50, True, False
        a.latency_ms, a.per_object_ms = 20, 0.1
        a.out = str(BENCH / "results-smoke.md")
    streams = ["charges", "customers"]
    rows, notes = [], []
    cmd = " ".join([Path(PY).name, "bench/run.py"] + sys.argv[1:])
    print(f"bench: {cmd}", flush=True)

    # 1-2. ours, live-like latency and rate limit
    emu = EmulatorProc(a.charges, a.customers, a.latency_ms, a.per_object_ms, rate_limit=True)
    notes.append(f"emulator seeded {emu.info['charges']} charges / {emu.info['customers']} customers "
                 f"({emu.info['events']} events) in {emu.info['seed_seconds']:.1f} s via store.create()")
    try:
        print(f"emulator {emu.url}: {emu.info}", flush=True)
        workers = {"num_workers": a.num_workers} if a.num_workers else {}
        label = f"ours (N={a.charges}+{a.customers})" + (f", num_workers {a.num_workers}" if a.num_workers else "")
        ours = measured(emu, label, ours_argv(), ours_config(emu.url, **workers), streams)
        rows.append(ours)

        # 4. zero latency, emulator rate limit off, connector's own 100/s budget lifted (call_rate_limit)
        emu.settings(latency_ms=0, per_object_ms=0, rate_limit=False)
        zero = measured(emu, f"ours zero-latency (charges N={a.charges})", ours_argv(),
                        ours_config(emu.url, call_rate_limit=100000), ["charges"])
        rows.append(zero)
        prof_text = profile(emu, ["charges"]) if a.profile else ""
    finally:
        emu.stop()

    # 3. anchor, same emulator settings, smaller N; ours on the same data for a like-for-like ratio
    anchor = small = None
    if not a.skip_anchor:
        t0 = time.perf_counter()
        exe, install = ensure_anchor()
        notes.append(f"anchor venv: {'installed in %.0f s' % install if install else 'reused (bench/.venv-anchor)'}"
                     f" ({ANCHOR_PKG})" + ("" if install else f"; first install measured at ~55 s"))
        emu = EmulatorProc(a.anchor_charges, a.customers, a.latency_ms, a.per_object_ms, rate_limit=True)
        try:
            small = measured(emu, f"ours (N={a.anchor_charges}+{a.customers})", ours_argv(),
                             ours_config(emu.url, **workers), streams)
            rows.append(small)
            anchor = measured(emu, f"airbyte 5.14.1 (N={a.anchor_charges}+{a.customers})", [str(exe)],
                              anchor_config(), streams, env=anchor_env(emu.url))
            rows.append(anchor)
        finally:
            emu.stop()

    # 5. report
    lines = [f"# source-stripe benchmark, {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}", "",
             f"Machine: {machine()}", "", f"Command: `{cmd}`", "",
             f"Emulator: latency {a.latency_ms:g} ms + {a.per_object_ms:g} ms/object, live rate limit "
             f"(100 req/s), key `{KEY}`; streams charges + customers, full refresh, start_date {START_DATE}.", "",
             "| connector | records | seconds | records/s | requests | 429s | of 100 req/s ceiling | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [row(r) for r in rows]
    lines.append("")
    base = startup_cpu(ours_argv())
    lines.append(f"CPU: {1e6 * zero['cpu'] / max(1, zero['records']):.0f} µs/record, start-up included (user "
                 f"{zero['user']:.2f} s + sys {zero['sys']:.2f} s for {zero['records']} records; "
                 f"{1e6 * (zero['cpu'] - base) / max(1, zero['records']):.0f} µs/record net of start-up, "
                 f"`main.py spec` alone costing {base:.2f} s; main thread {zero['main_cpu']:.2f} s, other threads "
                 f"{zero['cpu'] - zero['main_cpu']:.2f} s), {zero['records'] / zero['seconds']:.0f} records/s "
                 f"and peak RSS {zero['rss_mb']:.0f} MB at zero latency.")
    if anchor and small and anchor["records"]:
        ra = anchor["records"] / anchor["seconds"]
        lines.append(f"Ours/anchor records/s: {small['records'] / small['seconds'] / ra:.2f}x on the same data "
                     f"(N={a.anchor_charges}); ours at N={a.charges}: {ours['records'] / ours['seconds'] / ra:.2f}x. "
                     f"Anchor CPU {1e6 * anchor['cpu'] / anchor['records']:.0f} µs/record (at latency).")
    lines += [""] + [f"- {n}" for n in notes]
    bad = [r["label"] for r in rows if r["rc"] != 0 or r["errors"]]
    if bad:
        lines.append(f"- non-zero exit or error traces: {', '.join(bad)}")
    report = "\n".join(lines) + "\n"
    print("\n" + report)
    Path(a.out).write_text(report)
    if prof_text:
        (BENCH / "profile.txt").write_text(prof_text)
        print(prof_text)
    expected = a.charges + a.customers
    return 0 if ours["records"] >= expected and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
