"""Fault injection rules: {path | regex, kind, status, should_retry, count}.

kind: "status" (error status with Stripe error JSON), "reset" (drop the connection),
"truncate" (full Content-Length, half the body), "garbage" (200 with a non-JSON body).
A rule fires `count` times (default 1; null = forever), then expires.
"""
from __future__ import annotations

import re
import threading

KINDS = ("status", "reset", "truncate", "garbage")


class Faults:
    def __init__(self):
        self._rules: list[dict] = []
        self._lock = threading.Lock()

    def set(self, rules: list[dict]) -> None:
        normalized = []
        for rule in rules or []:
            kind = rule.get("kind", "status")
            if kind not in KINDS:
                raise ValueError(f"unknown fault kind {kind!r}; use one of {KINDS}")
            r = {"path": rule.get("path", "/v1/"), "regex": rule.get("regex"), "kind": kind,
                 "status": int(rule.get("status", 500)), "should_retry": rule.get("should_retry"),
                 "count": rule.get("count", 1)}
            r["_re"] = re.compile(r["regex"]) if r["regex"] else None
            normalized.append(r)
        with self._lock:
            self._rules = normalized

    def add(self, rule: dict) -> None:
        current = self.rules()
        self.set(current + [rule])

    def rules(self) -> list[dict]:
        with self._lock:
            return [{k: v for k, v in r.items() if k != "_re"} for r in self._rules]

    def take(self, path: str, full_path: str) -> dict | None:
        """The first matching live rule (its count is consumed), or None."""
        if not self._rules:
            return None
        with self._lock:
            for r in self._rules:
                hit = r["_re"].search(full_path) if r["_re"] is not None else path.startswith(r["path"])
                if not hit:
                    continue
                if r["count"] is not None:
                    r["count"] -= 1
                    if r["count"] <= 0:
                        self._rules.remove(r)
                return r
        return None
