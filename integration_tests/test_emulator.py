"""Tests for the Stripe API emulator (run: python -m pytest integration_tests/test_emulator.py -q)."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from integration_tests.emulator import Emulator
from integration_tests.emulator import versions
from integration_tests.emulator.resources import resource
from integration_tests.emulator.store import DAY
from integration_tests.truth import expected_ids

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk_test_emulator_0123456789"
H = {"Authorization": f"Bearer {KEY}"}
ROWS = [line.rstrip("\n").split("\t") for line in (ROOT / "integration_tests" / "stripe_paths.tsv").read_text().splitlines()
        if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def ro():
    """A shared, read-only seeded emulator."""
    with Emulator(seed=1, scale=4, rate_limit=False) as emu:
        yield emu


@pytest.fixture()
def emu():
    """A fresh emulator for tests that mutate state."""
    with Emulator(seed=7, scale=3, rate_limit=False) as e:
        yield e


def get(emu, path, params=None, headers=H):
    return requests.get(emu.url + path, params=params, headers=headers, timeout=10)


def stream_path(store, path: str, parent: str) -> str:
    if "{id}" in path:
        path = path.replace("{id}", store.live_objects(parent)[0]["id"])
    return "/v1/" + path


def read_all(emu, path, params=None, headers=H) -> list[dict]:
    params = dict(params or {}, limit=100)
    out = []
    while True:
        body = get(emu, path, params, headers).json()
        out += body["data"]
        if not body["has_more"]:
            return out
        params["starting_after"] = body["data"][-1]["id"]


# ----------------------------------------------------------------------------- stripe_paths.tsv contract
@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_every_docs_stream_path_answers_200_with_a_list(ro, row):
    name, kind, path, parent, obj, parent_field = row
    r = get(ro, stream_path(ro.store, path, parent), headers=headers_for(name))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "list" and isinstance(body["has_more"], bool) and body["url"].startswith("/v1/")
    assert body["data"], f"{name} returned no objects"
    assert {o["object"] for o in body["data"]} == {obj}
    if parent_field != "-":
        assert all(o[parent_field] for o in body["data"])


def headers_for(stream: str) -> dict:
    """The headers a stream's requests carry: usage record summaries need a version before 2025-03-31.basil."""
    return {**H, "Stripe-Version": "2025-02-24.acacia"} if stream == "usage_records" else H


@pytest.mark.parametrize("stream", [r[0] for r in ROWS])
def test_truth_matches_a_full_http_read(ro, stream):
    start = ro.store.clock.now() - 45 * DAY
    row = next(r for r in ROWS if r[0] == stream)
    name, kind, path, parent, obj, _ = row
    if kind == "child":
        parents = sorted(expected_ids(ro.store, parent, start))
        if stream == "payout_balance_transactions":  # a manual payout's history is a 400 (tested below)
            parents = [pid for pid in parents if ro.store.get("payouts", pid)["automatic"]]
        got = set()
        for pid in parents:
            p = "/v1/" + path.replace("{id}", pid)
            base, _, q = p.partition("?")
            got |= {o["id"] for o in read_all(ro, base, dict(x.split("=") for x in q.split("&")) if q else None,
                                              headers=headers_for(stream))}
    else:
        base, _, q = ("/v1/" + path).partition("?")
        params = dict(x.split("=") for x in q.split("&")) if q else {}
        res = resource(stream)
        if res.created_filter:
            params["created[gte]"] = start
            got = {o["id"] for o in read_all(ro, base, params)}
        else:  # Stripe cannot filter this list by created: filter client-side where the objects have `created`
            got = {o["id"] for o in read_all(ro, base, params) if o.get("created", start) >= start}
        got |= left_out_by_default(ro, stream, start)
    assert got == expected_ids(ro.store, stream, start)


def left_out_by_default(emu, stream: str, start: int) -> set[str]:
    """What a full read adds to a list that Stripe filters by default: archived prices (`active=false`), closed
    reviews (those of the charges, `expand[]=data.review`)."""
    if stream == "prices":
        return {o["id"] for o in read_all(emu, "/v1/prices", {"active": "false", "created[gte]": start})}
    if stream == "reviews":
        charges = read_all(emu, "/v1/charges", {"expand[]": "data.review", "created[gte]": start})
        return {c["review"]["id"] for c in charges if isinstance(c["review"], dict)}
    return set()


# ----------------------------------------------------------------------------- list semantics
def test_list_returns_newest_first(ro):
    data = get(ro, "/v1/charges", {"limit": 100}).json()["data"]
    created = [c["created"] for c in data]
    assert created == sorted(created, reverse=True) and len(data) == 4


def test_default_limit_is_10(ro):
    assert len(get(ro, "/v1/events").json()["data"]) == 10


def test_limit_above_100_is_rejected(ro):
    r = get(ro, "/v1/charges", {"limit": 101})
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["type"] == "invalid_request_error" and err["param"] == "limit"
    assert err["message"] == "This value must be less than or equal to 100."
    assert get(ro, "/v1/charges", {"limit": 0}).status_code == 400
    bad = get(ro, "/v1/charges", {"limit": "abc"})
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "Invalid integer: abc"


def test_created_gte_filters(emu):
    now = emu.store.clock.now()
    old = emu.store.create("charges", at=now - 1000)
    mid = emu.store.create("charges", at=now - 500)
    new = emu.store.create("charges", at=now - 10)
    ids = {c["id"] for c in read_all(emu, "/v1/charges", {"created[gte]": now - 500})}
    assert ids == {mid["id"], new["id"]}
    ids = {c["id"] for c in read_all(emu, "/v1/charges", {"created[gt]": now - 1000, "created[lt]": now - 10})}
    assert ids == {mid["id"]}
    assert [c["id"] for c in read_all(emu, "/v1/charges", {"created": now - 1000})] == [old["id"]]
    assert get(emu, "/v1/charges", {"created[gte]": "soon"}).status_code == 400
    assert get(emu, "/v1/charges", {"created[between]": 1}).status_code == 400


def test_pagination_visits_every_object_once(emu):
    at = emu.store.clock.now() - 100
    made = {emu.store.create("customers", at=at)["id"] for _ in range(25)}  # identical `created`: ties
    seen = []
    params = {"limit": 7}
    while True:
        body = get(emu, "/v1/customers", params).json()
        seen += [c["id"] for c in body["data"]]
        if not body["has_more"]:
            break
        params["starting_after"] = body["data"][-1]["id"]
    assert len(seen) == len(set(seen)) and made <= set(seen)
    assert set(seen) == {c["id"] for c in emu.store.live_objects("customers")}


def test_ending_before_pages_backwards(ro):
    everything = [c["id"] for c in read_all(ro, "/v1/events")]
    body = get(ro, "/v1/events", {"limit": 3, "ending_before": everything[5]}).json()
    assert [e["id"] for e in body["data"]] == everything[2:5] and body["has_more"] is True


def test_unknown_cursor_is_400_resource_missing(ro):
    r = get(ro, "/v1/charges", {"starting_after": "ch_nope"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "resource_missing"


def test_unknown_parameter_created_is_rejected_on_payment_links(ro):
    for path in ("/v1/payment_links", "/v1/quotes", stream_path(ro.store, "invoices/{id}/lines", "invoices")):
        r = get(ro, path, {"created[gte]": 1})
        assert r.status_code == 400, path
        assert r.json()["error"]["message"] == "Received unknown parameter: created"
    assert get(ro, "/v1/charges", {"colour": "red"}).json()["error"]["message"] == "Received unknown parameter: colour"
    payout = ro.store.live_objects("payouts")[0]["id"]
    assert get(ro, "/v1/balance_transactions", {"payout": payout, "created[gte]": 1}).status_code == 200


def test_required_parent_params(ro):
    for path, param in (("/v1/setup_attempts", "setup_intent"), ("/v1/subscription_items", "subscription"),
                        ("/v1/radar/value_list_items", "value_list")):
        r = get(ro, path)
        assert r.status_code == 400 and r.json()["error"]["param"] == param


def test_payout_balance_transactions_also_in_top_level_list(ro):
    payout = ro.store.live_objects("payouts")[0]["id"]
    mine = {t["id"] for t in read_all(ro, "/v1/balance_transactions", {"payout": payout})}
    assert mine and mine <= {t["id"] for t in read_all(ro, "/v1/balance_transactions")}


def test_customer_sources_object_filter(ro):
    cus = ro.store.live_objects("customers")[0]["id"]
    everything = read_all(ro, f"/v1/customers/{cus}/sources")
    cards = read_all(ro, f"/v1/customers/{cus}/sources", {"object": "card"})
    banks = read_all(ro, f"/v1/customers/{cus}/sources", {"object": "bank_account"})
    assert {o["object"] for o in cards} == {"card"} and {o["object"] for o in banks} == {"bank_account"}
    assert len(everything) == len(cards) + len(banks)


def test_retrieve_and_unknown_id(ro):
    charge = ro.store.live_objects("charges")[0]
    assert get(ro, f"/v1/charges/{charge['id']}").json() == charge
    r = get(ro, "/v1/charges/ch_missing")
    assert r.status_code == 404 and r.json()["error"]["message"] == "No such charge: 'ch_missing'"


def test_unknown_route_is_404(ro):
    r = get(ro, "/v1/nonsense")
    assert r.status_code == 404
    assert r.json()["error"]["message"].startswith("Unrecognized request URL (GET: /v1/nonsense).")


def test_response_headers_like_stripe(ro):
    r = get(ro, "/v1/charges", headers=dict(H, **{"Stripe-Version": "2024-06-20"}))
    assert r.headers["Request-Id"].startswith("req_") and r.headers["Content-Type"] == "application/json"
    assert r.headers["Stripe-Version"] == "2024-06-20"
    assert get(ro, "/v1/charges").headers["Stripe-Version"] == "2025-09-30.clover"


# ----------------------------------------------------------------------------- subscriptions
def test_subscriptions_default_excludes_canceled(emu):
    sub = emu.store.live_objects("subscriptions")[0]["id"]
    emu.store.delete("subscriptions", sub)
    default = {s["id"] for s in read_all(emu, "/v1/subscriptions")}
    every = {s["id"] for s in read_all(emu, "/v1/subscriptions", {"status": "all"})}
    canceled = {s["id"] for s in read_all(emu, "/v1/subscriptions", {"status": "canceled"})}
    assert sub not in default and sub in every and sub in canceled
    assert all(s["status"] != "canceled" for s in read_all(emu, "/v1/subscriptions"))
    ev = read_all(emu, "/v1/events", {"type": "customer.subscription.deleted"})[0]
    assert ev["data"]["object"]["id"] == sub and ev["data"]["object"]["status"] == "canceled"


# ----------------------------------------------------------------------------- events
def test_charge_create_emits_charge_succeeded_not_charge_created(emu):
    charge = emu.store.create("charges")
    events = read_all(emu, "/v1/events", {"type": "charge.*"})
    mine = [e for e in events if e["data"]["object"]["id"] == charge["id"]]
    assert [e["type"] for e in mine] == ["charge.succeeded"]
    assert not [e for e in events if e["type"] == "charge.created"]
    assert mine[0]["data"]["object"] == charge and mine[0]["created"] == charge["created"]


def test_update_and_delete_events(emu):
    s = emu.store
    cus = s.create("customers", fields={"email": "a@example.com"})
    s.update("customers", cus["id"], {"email": "b@example.com"})
    s.delete("customers", cus["id"])
    mine = [e for e in read_all(emu, "/v1/events", {"types[]": ["customer.created", "customer.updated",
                                                               "customer.deleted"]})
            if e["data"]["object"]["id"] == cus["id"]]
    assert [e["type"] for e in mine] == ["customer.deleted", "customer.updated", "customer.created"]
    assert mine[1]["data"]["previous_attributes"] == {"email": "a@example.com"}
    assert mine[0]["data"]["object"]["email"] == "b@example.com"


def test_child_without_events_emits_parent_update(emu):
    inv = emu.store.live_objects("invoices")[0]["id"]
    line = emu.store.create("invoice_line_items", parent_id=inv)
    ev = get(emu, "/v1/events", {"limit": 1}).json()["data"][0]
    assert ev["type"] == "invoice.updated" and ev["data"]["object"]["id"] == inv
    assert line["id"] in {li["id"] for li in ev["data"]["object"]["lines"]["data"]}


def test_events_older_than_30_days_are_not_listed(emu):
    now = emu.store.clock.now()
    old = emu.store.add_event("charge.succeeded", {"id": "ch_x", "object": "charge"}, at=now - 31 * DAY)
    recent = emu.store.add_event("charge.succeeded", {"id": "ch_y", "object": "charge"}, at=now - 29 * DAY)
    ids = {e["id"] for e in read_all(emu, "/v1/events")}
    assert recent["id"] in ids and old["id"] not in ids
    emu.store.backdate(recent["id"], now - 40 * DAY)
    assert recent["id"] not in {e["id"] for e in read_all(emu, "/v1/events")}
    assert all(e["created"] >= now - 30 * DAY for e in read_all(emu, "/v1/events", {"created[gte]": 0}))


def test_events_types_limit(ro):
    r = get(ro, "/v1/events", {"types[]": [f"t{i}" for i in range(21)]})
    assert r.status_code == 400


# ----------------------------------------------------------------------------- deletion
def test_deleted_customer_children_are_404(emu):
    cus = emu.store.live_objects("customers")[0]["id"]
    assert get(emu, f"/v1/customers/{cus}/sources").status_code == 200
    emu.store.delete("customers", cus)
    for sub in ("sources", "payment_methods", "balance_transactions"):
        r = get(emu, f"/v1/customers/{cus}/{sub}")
        assert r.status_code == 404
        assert r.json()["error"] == {"message": f"No such customer: '{cus}'", "type": "invalid_request_error",
                                     "code": "resource_missing", "param": "id",
                                     "doc_url": "https://stripe.com/docs/error-codes/resource-missing"}
    assert get(emu, f"/v1/customers/{cus}").json() == {"id": cus, "object": "customer", "deleted": True}
    assert cus not in {c["id"] for c in read_all(emu, "/v1/customers")}
    orphans = {b["id"] for b in emu.store.children_of("bank_accounts", cus)}
    assert orphans and not expected_ids(emu.store, "bank_accounts", 0) & orphans


# ----------------------------------------------------------------------------- auth, accounts, features
def test_invalid_key_returns_401_with_masked_key(ro):
    r = get(ro, "/v1/charges", headers={"Authorization": "Bearer sk_test_wrongwrongwrongabcd"})
    assert r.status_code == 401
    assert r.json()["error"] == {"message": "Invalid API Key provided: sk_test_" + "*" * 15 + "abcd",
                                 "type": "invalid_request_error"}
    assert get(ro, "/v1/charges", headers={}).status_code == 401


def test_basic_auth_is_accepted(ro):
    assert requests.get(ro.url + "/v1/charges", auth=(KEY, "")).status_code == 200


def test_restricted_key_without_permission_gets_403(ro):
    rk = {"Authorization": "Bearer rk_test_emulator_abcd"}
    assert get(ro, "/v1/charges", headers=rk).status_code == 200
    r = get(ro, "/v1/accounts", headers=rk)
    assert r.status_code == 403
    msg = r.json()["error"]["message"]
    assert msg.startswith("The provided key 'rk_test_" + "*" * 9 + "abcd' does not have the required permissions")
    assert "'rak_connected_account_read'" in msg and ro.store.platform_id in msg  # Stripe's name for Accounts


def test_rate_limit_returns_429():
    with Emulator(seed=1, scale=1, rate_limit=True) as emu:
        codes = [get(emu, "/v1/customers").status_code for _ in range(40)]
        assert 429 in codes and codes[:20] == [200] * 20
        limited = next(r for r in (get(emu, "/v1/customers") for _ in range(600)) if r.status_code == 429)  # > 25/s even on a busy machine
        assert limited.json()["error"] == {
            "message": "Request rate limit exceeded. Learn more about rate limits here "
                       "https://stripe.com/docs/rate-limits.",
            "type": "invalid_request_error", "code": "rate_limit",
            "doc_url": "https://stripe.com/docs/error-codes/rate-limit"}
        assert emu.stats()["rate_limited"] >= 1
        emu.settings(rate_limit=False)
        assert all(get(emu, "/v1/customers").status_code == 200 for _ in range(40))


def test_stripe_account_header_selects_connected_account(ro):
    acct = ro.store.live_objects("accounts")[0]["id"]
    hdr = dict(H, **{"Stripe-Account": acct})
    theirs = {c["id"] for c in read_all(ro, "/v1/charges", headers=hdr)}
    ours = {c["id"] for c in read_all(ro, "/v1/charges")}
    assert theirs and not theirs & ours
    assert theirs == {c["id"] for c in ro.store.live_objects("charges", account=acct)}
    r = get(ro, "/v1/charges", headers=dict(H, **{"Stripe-Account": "acct_unknown"}))
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_invalid"


def test_features_disabled(emu):
    emu.settings(features={"issuing": False, "connect": False})
    r = get(emu, "/v1/issuing/cards")
    assert r.status_code == 400 and "not set up to use Issuing" in r.json()["error"]["message"]
    r = get(emu, "/v1/accounts")
    assert r.status_code == 400 and "signed up for Connect" in r.json()["error"]["message"]
    assert get(emu, "/v1/charges").status_code == 200


# ----------------------------------------------------------------------------- faults, latency, stats
def test_fault_status_with_should_retry(emu):
    emu.set_faults([{"path": "/v1/charges", "kind": "status", "status": 503, "should_retry": True, "count": 2}])
    first, second, third = (get(emu, "/v1/charges") for _ in range(3))
    assert first.status_code == second.status_code == 503 and third.status_code == 200
    assert first.headers["Stripe-Should-Retry"] == "true" and first.json()["error"]["type"] == "api_error"
    assert get(emu, "/v1/customers").status_code == 200


def test_fault_reset(emu):
    emu.set_faults([{"regex": r"^/v1/customers\?", "kind": "reset"}])
    with pytest.raises(requests.ConnectionError):
        get(emu, "/v1/customers", {"limit": 1})
    assert get(emu, "/v1/customers", {"limit": 1}).status_code == 200


def test_fault_truncate(emu):
    emu.set_faults([{"path": "/v1/charges", "kind": "truncate"}])
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(emu, "/v1/charges")
    assert get(emu, "/v1/charges").status_code == 200


def test_fault_garbage(emu):
    emu.set_faults([{"path": "/v1/charges", "kind": "garbage"}])
    r = get(emu, "/v1/charges")
    assert r.status_code == 200
    with pytest.raises(ValueError):
        r.json()
    assert get(emu, "/v1/charges").json()["object"] == "list"


def test_latency(emu):
    emu.settings(latency_ms=150)
    t = time.monotonic()
    get(emu, "/v1/coupons")
    assert time.monotonic() - t >= 0.15


def test_stats_count_routes(emu):
    emu.reset_stats()
    get(emu, "/v1/charges")
    get(emu, "/v1/charges")
    stats = emu.stats()
    assert stats["by_route"]["/v1/charges"] == 2 and stats["total"] == 2


# ----------------------------------------------------------------------------- control plane, process
def test_control_plane(emu):
    u = emu.url + "/_emulator"
    assert requests.post(u + "/reset", json={"seed": 3, "scale": 2}).ok
    assert len(requests.get(u + "/objects/customers").json()["ids"]) == 2
    cus = requests.post(u + "/objects/customers", json={"fields": {"email": "x@example.com"}}).json()
    assert cus["id"].startswith("cus_") and cus["email"] == "x@example.com"
    up = requests.post(u + f"/objects/customers/{cus['id']}", json={"fields": {"name": "X"}}).json()
    assert up["name"] == "X"
    assert requests.delete(u + f"/objects/customers/{cus['id']}").ok
    assert cus["id"] not in requests.get(u + "/objects/customers").json()["ids"]
    now = requests.post(u + "/clock", json={"now": 2_000_000_000}).json()["now"]
    assert now == 2_000_000_000 == emu.store.clock.now()
    assert requests.post(u + "/settings", json={"latency_ms": 0}).json()["latency_ms"] == 0
    assert requests.post(u + "/faults", json={"rules": [{"path": "/v1/x", "kind": "garbage"}]}).ok
    assert "by_route" in requests.get(u + "/stats").json()
    assert requests.get(u + "/truth/charges", params={"start_date": 0}).json()["ids"]
    assert requests.post(u + "/objects/nonsense", json={}).status_code == 404


def test_module_entry_point_serves_until_sigterm():
    proc = subprocess.Popen([sys.executable, "-m", "integration_tests.emulator", "--port", "0", "--seed", "1",
                             "--scale", "1", "--no-rate-limit"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("emulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1]
        assert requests.get(url + "/v1/charges", headers=H, timeout=5).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0


def test_a_manual_payouts_balance_transactions_are_refused_as_stripe_does(ro):
    manual = next(p for p in ro.store.live_objects("payouts") if p["automatic"] is False)
    response = get(ro, "/v1/balance_transactions", {"payout": manual["id"]})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "Balance transaction history can only be filtered on automatic transfers, not manual."
    )


def test_usage_record_summaries_are_served_only_to_versions_before_basil(ro):
    item = ro.store.live_objects("subscription_items")[0]["id"]
    path = f"/v1/subscription_items/{item}/usage_record_summaries"
    assert get(ro, path).status_code == 404  # the account's default version, 2025-09-30.clover
    assert get(ro, path, headers={**H, "Stripe-Version": "2025-03-31.basil"}).status_code == 404
    assert get(ro, path, headers={**H, "Stripe-Version": "2025-02-24.acacia"}).status_code == 200


# ----------------------------------------------------------------------------- API versions
ACACIA, BASIL, CLOVER = "2025-02-24.acacia", "2025-06-30.basil", "2025-09-30.clover"
RENDERED_STREAMS = versions.changed_resources()


def _read_stream_over_http(emu, stream: str, version: str | None) -> dict[str, dict]:
    """Every object of a stream as the HTTP API lists it (children: under each live parent), by id."""
    headers = dict(H, **({"Stripe-Version": version} if version else {}))
    name, kind, path, parent, obj, _ = next(r for r in ROWS if r[0] == stream)
    parents = [o["id"] for o in emu.store.live_objects(parent)] if kind == "child" else [""]
    paths = ["/v1/" + path.replace("{id}", pid) for pid in parents]
    got = {}
    for full in paths:
        base, _, query = full.partition("?")
        for o in read_all(emu, base, dict(x.split("=") for x in query.split("&")) if query else None, headers):
            got[o["id"]] = o
    return got


def test_the_version_table_covers_the_streams_the_api_version_test_reads():
    assert set(RENDERED_STREAMS) == {"charges", "invoice_items", "invoice_line_items", "invoices", "payment_intents",
                                     "promotion_codes", "subscription_items", "subscriptions"}
    for change in versions.CHANGES:
        assert change.changelog.startswith("https://docs.stripe.com/changelog/") and change.fields
        assert change.version in (versions.BASIL, versions.CLOVER) and change.resource in RENDERED_STREAMS


def test_rendering_at_the_current_version_is_the_stored_object_itself():
    stored = {"id": "in_1", "object": "invoice", "parent": {"type": "subscription_details"}}
    assert versions.render(stored, "invoices", CLOVER) is stored
    assert versions.render(stored, "invoices", "2026-01-28.clover") is stored  # a later version of the same shape
    assert versions.render(stored, "events", ACACIA) is stored  # events are never re-rendered
    assert versions.is_current("invoices", CLOVER) and not versions.is_current("invoices", ACACIA)


def test_rendering_at_an_older_version_copies_and_undoes_the_changes_after_it():
    stored = {"id": "in_1", "object": "invoice", "status": "paid", "payments": {"data": []},
              "parent": {"type": "subscription_details",
                         "subscription_details": {"subscription": "sub_1", "metadata": {"plan": "gold"}}},
              "lines": {"object": "list", "data": [
                  {"id": "il_1", "object": "line_item",
                   "parent": {"type": "subscription_item_details",
                              "subscription_item_details": {"subscription": "sub_1", "subscription_item": "si_1",
                                                            "invoice_item": None, "proration": False,
                                                            "proration_details": None}}}]}}
    before = repr(stored)
    old = versions.render(stored, "invoices", ACACIA)
    assert repr(stored) == before, "the stored object was changed"
    assert "parent" not in old and "payments" not in old
    assert old["subscription"] == "sub_1" and old["subscription_details"] == {"metadata": {"plan": "gold"}}
    assert old["quote"] is None and old["paid"] is True and old["charge"] is None
    line = old["lines"]["data"][0]
    assert "parent" not in line
    assert (line["type"], line["subscription"], line["subscription_item"]) == ("subscription", "sub_1", "si_1")


def test_a_version_between_two_changes_undoes_only_the_later_one():
    code = {"id": "promo_1", "object": "promotion_code", "promotion": {"type": "coupon", "coupon": "SPRING"}}
    assert versions.render(code, "promotion_codes", BASIL) == {"id": "promo_1", "object": "promotion_code",
                                                                "coupon": "SPRING"}
    subscription = {"id": "sub_1", "items": {"data": [{"id": "si_1", "current_period_start": 10,
                                                       "current_period_end": 20}]}}
    assert versions.render(subscription, "subscriptions", BASIL) is subscription
    old = versions.render(subscription, "subscriptions", ACACIA)
    assert (old["current_period_start"], old["current_period_end"]) == (10, 20)
    assert "current_period_start" not in old["items"]["data"][0]


@pytest.mark.parametrize("stream", RENDERED_STREAMS)
def test_a_list_at_an_older_stripe_version_shows_that_versions_shape(ro, stream):
    truth = {o["id"]: o for o in _live_for_listing(ro.store, stream)}
    old = _read_stream_over_http(ro, stream, ACACIA)
    assert old == {i: versions.render(o, stream, ACACIA) for i, o in truth.items()}
    assert old != truth, "nothing differs: the test proves nothing"
    assert all(set(versions.changed_fields(stream)) & (set(o) ^ set(truth[i])) for i, o in old.items())


@pytest.mark.parametrize("stream", RENDERED_STREAMS)
def test_a_list_at_the_current_version_shows_the_stored_shape(ro, stream):
    truth = {o["id"]: o for o in _live_for_listing(ro.store, stream)}
    assert _read_stream_over_http(ro, stream, None) == truth
    assert _read_stream_over_http(ro, stream, CLOVER) == truth


def _live_for_listing(store, stream: str) -> list[dict]:
    res = resource(stream)
    if res.parent:
        return [c for p in store.live_objects(res.parent) for c in store.children_of(stream, p["id"])]
    return store.live_objects(stream)


def test_a_retrieve_is_rendered_at_the_requests_version(ro):
    invoice = ro.store.live_objects("invoices")[0]
    old = get(ro, f"/v1/invoices/{invoice['id']}", headers={**H, "Stripe-Version": ACACIA}).json()
    assert old == versions.render(invoice, "invoices", ACACIA) and "parent" not in old
    assert get(ro, f"/v1/invoices/{invoice['id']}").json() == invoice


def test_an_event_carries_its_object_at_the_accounts_default_version_when_it_was_created(emu):
    store = emu.store
    subscription = store.live_objects("subscriptions")[0]["id"]
    emu.settings(api_version=ACACIA)
    store.update("subscriptions", subscription, {"metadata": {"when": "acacia"}})
    at_acacia = store.get("subscriptions", subscription)
    emu.settings(api_version=CLOVER)
    store.update("subscriptions", subscription, {"metadata": {"when": "clover"}})
    newest, older = [e for e in read_all(emu, "/v1/events", {"type": "customer.subscription.updated"})
                     if e["data"]["object"]["id"] == subscription][:2]
    assert older["api_version"] == ACACIA and older["data"]["object"] == versions.render(at_acacia, "subscriptions",
                                                                                           ACACIA)
    assert "current_period_start" in older["data"]["object"]
    assert newest["api_version"] == CLOVER and newest["data"]["object"] == store.get("subscriptions", subscription)
    # A request at another version does not re-render events: each keeps its own api_version's shape.
    pinned = read_all(emu, "/v1/events", {"type": "customer.subscription.updated"}, {**H, "Stripe-Version": ACACIA})
    assert [e for e in pinned if e["id"] == newest["id"]] == [newest]


def test_an_events_previous_embedded_list_is_at_the_events_version(emu):
    invoice = next(i for i in emu.store.live_objects("invoices") if i["lines"]["data"])
    emu.settings(api_version=ACACIA)
    emu.store.create("invoice_line_items", parent_id=invoice["id"])
    event = get(emu, "/v1/events", {"limit": 1}).json()["data"][0]
    assert event["type"] == "invoice.updated" and event["api_version"] == ACACIA
    lines = [event["data"]["object"]["lines"]["data"], event["data"]["previous_attributes"]["lines"]["data"]]
    assert all("parent" not in line and "type" in line for listed in lines for line in listed)


def test_requests_without_a_version_get_the_accounts_default_and_the_header_says_which(emu):
    emu.settings(api_version=ACACIA)
    default = get(emu, "/v1/invoices")
    assert default.headers["Stripe-Version"] == ACACIA and all("parent" not in i for i in default.json()["data"])
    pinned = get(emu, "/v1/invoices", headers={**H, "Stripe-Version": CLOVER})
    assert pinned.headers["Stripe-Version"] == CLOVER and all("parent" in i for i in pinned.json()["data"])
    control = requests.post(emu.url + "/_emulator/settings", json={"api_version": CLOVER}).json()
    assert control["api_version"] == CLOVER and get(emu, "/v1/invoices").headers["Stripe-Version"] == CLOVER
