"""Control plane under /_emulator/: JSON endpoints wrapping the store for out-of-process use."""
from __future__ import annotations

from urllib.parse import parse_qsl


def _q(query: str) -> dict:
    return dict(parse_qsl(query, keep_blank_values=True))


def handle(emu, method: str, path: str, query: str, body: dict) -> tuple[int, object]:
    """Returns (status, JSON-able body). Errors: 404 for unknown things, 400 for bad input."""
    parts = [p for p in path.split("/") if p][1:]  # drop "_emulator"
    q = _q(query)
    store = emu.store
    try:
        if parts == ["reset"] and method == "POST":
            emu.reset(seed=body.get("seed", 1), scale=body.get("scale", 3))
            return 200, {"ok": True, "now": store.clock.now()}
        if parts[:1] == ["objects"] and len(parts) in (2, 3):
            res = parts[1]
            account = body.get("account") or q.get("account")
            if len(parts) == 2 and method == "GET":
                objs = store.live_objects(res, account=account)
                out = {"resource": res, "ids": [o["id"] for o in objs]}
                if q.get("full"):
                    out["objects"] = objs
                return 200, out
            if len(parts) == 2 and method == "POST":
                return 200, store.create(res, body.get("fields"), body.get("parent_id"), body.get("at"), account)
            if len(parts) == 3 and method == "POST":
                return 200, store.update(res, parts[2], body.get("fields") or {}, body.get("at"),
                                         body.get("event_type"), account)
            if len(parts) == 3 and method == "DELETE":
                store.delete(res, parts[2], body.get("at") or (int(q["at"]) if "at" in q else None), account)
                return 200, {"id": parts[2], "deleted": True}
        if parts == ["events"] and method == "GET":
            evs = store.events(q.get("account"), include_expired=bool(q.get("include_expired")))
            return 200, {"ids": [e["id"] for e in evs], "events": evs}
        if parts == ["events"] and method == "POST":
            return 200, store.add_event(body["type"], body.get("object") or {}, body.get("at"),
                                        body.get("account"), body.get("previous_attributes"))
        if parts == ["clock"]:
            if method == "POST":
                store.clock.set(body.get("now"), body.get("offset"))
            return 200, {"now": store.clock.now()}
        if parts == ["faults"]:
            if method == "POST":
                emu.set_faults(body.get("rules") or [])
            return 200, {"rules": emu.faults.rules()}
        if parts == ["settings"]:
            if method == "POST":
                return 200, emu.settings(**body)
            return 200, emu.settings()
        if parts == ["stats"]:
            if method == "POST" or q.get("reset"):
                emu.reset_stats()
            return 200, emu.stats()
        if parts == ["accounts", "seed"] and method == "POST":
            ids = store.seed_accounts(int(body.get("count", 0)), body.get("objects") or {}, body.get("at"))
            return 200, {"ids": ids}
        if parts[:1] == ["accounts"] and len(parts) == 3 and parts[2] == "revoke" and method == "POST":
            store.revoke(parts[1])
            return 200, {"id": parts[1], "revoked": True}
        if parts[:1] == ["truth"] and len(parts) == 2 and method == "GET":
            if "accounts" in q:  # (account id, id) pairs over the platform and connected accounts
                from ..truth import expected_account_ids
                accounts = None if q["accounts"] in ("", "all") else q["accounts"].split(",")
                pairs = expected_account_ids(store, parts[1], int(q.get("start_date", 0)), accounts)
                return 200, {"stream": parts[1], "pairs": sorted(pairs)}
            from ..truth import expected_ids
            ids = expected_ids(store, parts[1], int(q.get("start_date", 0)), q.get("account"))
            return 200, {"stream": parts[1], "ids": sorted(ids)}
    except (KeyError, LookupError) as e:
        return 404, {"error": str(e).strip("'\"")}
    except (ValueError, TypeError) as e:
        return 400, {"error": str(e)}
    return 404, {"error": f"unknown control endpoint {method} {path}"}
