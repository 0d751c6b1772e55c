"""HTTP server (ThreadingHTTPServer, HTTP/1.1 keep-alive) and the Emulator facade."""
from __future__ import annotations

import itertools
import socket
import struct
import threading
from typing import Callable
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import app, control, jsonlib
from .auth import GLOBAL_CONCURRENCY, LIMITED_REASON, Auth, ConcurrencyLimiter, RateLimiter, limited
from .errors import ApiError, server_error
from .events import API_VERSION
from .faults import Faults
from .store import Store

GARBAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "stripe-emulator"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet
        pass

    def version_string(self) -> str:
        return "nginx"

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    # ------------------------------------------------------------------
    def _dispatch(self, method: str) -> None:
        emu: Emulator = self.server.emulator
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if path.startswith("/_emulator/"):
            try:
                body = jsonlib.loads(raw) if raw else {}
            except ValueError:
                body = {}
            status, out = control.handle(emu, method, path, query, body if isinstance(body, dict) else {})
            self._send(status, jsonlib.dumps(out), {})
            return
        emu._count("total")
        rule = emu.faults.take(path, self.path)
        if rule is not None and self._fault(rule):
            return
        # In flight from here until the answer is about to be written (ConcurrencyLimiter says why).
        admitted = emu.concurrency.enter()
        try:
            if admitted:
                resp = self._api(emu, method, path, query)
            else:
                refusal = limited(GLOBAL_CONCURRENCY)
                resp = app.Response(429, jsonlib.dumps(refusal.body()), refusal.headers, route=path)
            emu._record(resp)
            delay = emu.latency_ms + emu.per_object_ms * resp.count
            if delay > 0:
                time.sleep(delay / 1000.0)
        finally:
            emu.concurrency.leave(admitted)
        if rule is not None and rule["kind"] == "truncate":
            self._send(resp.status, resp.body, resp.headers, truncate=True)
        else:
            self._send(resp.status, resp.body, resp.headers)

    def _api(self, emu, method, path, query) -> app.Response:
        try:
            if not path.startswith("/v1/"):
                from .errors import unrecognized_url
                raise unrecognized_url(method, path)
            key = emu.auth.check(self.headers.get("Authorization"))
            return app.handle(emu, method, path, query, self.headers, key)
        except ApiError as e:
            return app.Response(e.status, jsonlib.dumps(e.body()), e.headers, route=path)
        except Exception:  # a bug: answer like Stripe's 500 rather than killing the connection
            import traceback
            traceback.print_exc()
            e = server_error(500)
            return app.Response(500, jsonlib.dumps(e.body()), route=path)

    def _fault(self, rule: dict) -> bool:
        """Apply a fault; True when the response has been handled."""
        emu = self.server.emulator
        emu._count("faults")
        kind = rule["kind"]
        if kind == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return True
        if kind == "garbage":
            self._send(200, GARBAGE, {"Content-Type": "text/html"})
            return True
        if kind == "status":
            headers = {}
            if rule.get("should_retry") is not None:
                headers["Stripe-Should-Retry"] = "true" if rule["should_retry"] else "false"
            self._send(rule["status"], jsonlib.dumps(server_error(rule["status"]).body()), headers)
            return True
        return False  # truncate: serve the real response, cut in half

    def _send(self, status: int, body: bytes, headers: dict, truncate: bool = False) -> None:
        emu = self.server.emulator
        self.send_response(status)
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", emu.next_request_id())
        if "Stripe-Version" not in headers:  # app.handle names the account's default when no version was asked
            self.send_header("Stripe-Version", self.headers.get("Stripe-Version") or API_VERSION)
        for k, v in headers.items():
            self.send_header(k, v)
        if truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if truncate:
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        else:
            self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class Emulator:
    """A local Stripe API on 127.0.0.1.

    with Emulator(seed=1, scale=3, rate_limit=False) as emu:
        requests.get(emu.url + "/v1/charges", headers={"Authorization": "Bearer sk_test_emulator"})
    """

    def __init__(self, seed: int = 1, scale: int = 3, rate_limit: bool = True, latency_ms: float = 0,
                 per_object_ms: float = 0, port: int = 0, host: str = "127.0.0.1"):
        self.store = Store(seed, scale)
        self.auth = Auth()
        self.limiter = RateLimiter(rate_limit)
        self.concurrency = ConcurrencyLimiter()
        self.faults = Faults()
        # connected account id -> the child lists of it (`persons`, …) its platform may not read: 403 for those
        self.unreadable_children: dict[str, set[str]] = {}
        self.latency_ms, self.per_object_ms = latency_ms, per_object_ms
        self.host, self.port = host, port
        self._stats = Counter()
        self._limited_by_reason = Counter()
        self._routes = Counter()
        self._stats_lock = threading.Lock()
        self._req_ids = itertools.count(1)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle
    def start(self) -> "Emulator":
        self._server = Server((self.host, self.port), Handler)
        self._server.emulator = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="stripe-emulator",
                                        daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server = Server((self.host, self.port), Handler)
        self._server.emulator = self
        self.port = self._server.server_address[1]
        self._server.serve_forever(0.05)

    def serve_until_signal(self, ready: Callable[[], None] = lambda: None) -> None:
        """Serves (starting if needed) until SIGTERM or SIGINT, then stops: for the command-line entry points.
        `ready` runs once the signals are handled (announce the server there: a signal sent on the announcement
        must find the handler in place)."""
        import signal

        if self._server is None:
            self.start()
        done = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: done.set())
        ready()
        done.wait()
        self.stop()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "Emulator":
        return self.start() if self._server is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ---------------------------------------------------------------- knobs
    def reset(self, seed: int = 1, scale: int = 3) -> None:
        self.store.reset(seed, scale)
        self.limiter.reset()
        self.concurrency.configure(None)
        self.faults.set([])
        self.unreadable_children.clear()

    def set_faults(self, rules: list[dict]) -> None:
        self.faults.set(rules)

    def settings(self, latency_ms: float | None = None, per_object_ms: float | None = None,
                 rate_limit: bool | None = None, features: dict | None = None, account: str | None = None,
                 restricted_keys: dict | None = None, api_version: str | None = None,
                 unreadable_children: dict | None = None, revoke_after: dict | None = None,
                 max_in_flight: int | None = None, max_in_flight_for: int | None = None) -> dict:
        """Change settings; returns the current ones. `features` e.g. {"issuing": False, "connect": False};
        `api_version` the account's default API version (its later events carry it); `unreadable_children`
        {connected account id: [child streams, e.g. "persons"]}, the child lists of an account that its platform may
        not read (Stripe's 403), replacing the previous setting; `revoke_after` {connected account id: n}: the
        account is revoked (`Store.revoke`) once it has been sent n more requests, replacing the previous setting;
        `max_in_flight` n: Stripe's concurrency limiter, 429 `global-concurrency` beyond n requests served at once (0:
        no limit), lifted after `max_in_flight_for` more requests when that is given."""
        if latency_ms is not None:
            self.latency_ms = latency_ms
        if per_object_ms is not None:
            self.per_object_ms = per_object_ms
        if rate_limit is not None:
            self.limiter.enabled = bool(rate_limit)
            self.limiter.reset()
        state = self.store.state(account)
        if features:
            state.features.update({k: bool(v) for k, v in features.items()})
        for key, resources in (restricted_keys or {}).items():
            self.auth.allow(key, resources)
        if api_version:
            state.api_version = api_version
        if unreadable_children is not None:
            self.unreadable_children = {acct: set(streams) for acct, streams in unreadable_children.items()}
        if revoke_after is not None:
            self.store.set_revoke_after(revoke_after)
        if max_in_flight is not None:
            self.concurrency.configure(max_in_flight, max_in_flight_for)
        return {"latency_ms": self.latency_ms, "per_object_ms": self.per_object_ms,
                "rate_limit": self.limiter.enabled, "features": dict(state.features),
                "restricted_keys": {k: sorted(v) for k, v in self.auth.restricted.items()},
                "api_version": state.api_version,
                "unreadable_children": {acct: sorted(streams) for acct, streams in self.unreadable_children.items()},
                "max_in_flight": self.concurrency.max_in_flight,
                **self.store.access_summary()}

    # ---------------------------------------------------------------- stats
    def next_request_id(self) -> str:
        return "req_emu%011d" % next(self._req_ids)

    def _count(self, name: str) -> None:
        with self._stats_lock:
            self._stats[name] += 1

    def _record(self, resp) -> None:
        with self._stats_lock:
            self._routes[resp.route] += 1
            self._stats[f"status_{resp.status}"] += 1
            if resp.status == 429:
                self._stats["rate_limited"] += 1
                self._limited_by_reason[resp.headers.get(LIMITED_REASON) or "none"] += 1
            self._stats["objects"] += resp.count

    def stats(self) -> dict:
        """{"total", "rate_limited", "faults", "objects", "status_<n>"..., "by_route": {route: count},
        "rate_limited_by_reason": {Stripe-Rate-Limited-Reason: count}, "max_in_flight": the most requests served at
        once, "max_in_flight_since_lift": the same since `max_in_flight_for` lifted the limit}."""
        with self._stats_lock:
            out = {"total": 0, "rate_limited": 0, "faults": 0, "objects": 0}
            out.update(self._stats)
            out["by_route"] = dict(self._routes)
            out["rate_limited_by_reason"] = dict(self._limited_by_reason)
            out["max_in_flight"] = self.concurrency.peak
            out["max_in_flight_since_lift"] = self.concurrency.peak_since_lift
            return out

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._stats.clear()
            self._routes.clear()
            self._limited_by_reason.clear()
            self.concurrency.reset_peaks()
