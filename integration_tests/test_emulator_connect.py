"""The emulator's Connect side (issue 11): `GET /v1/account`, bulk-seeded connected accounts, revoked access, and the
truth helper over every account (run: python -m pytest integration_tests/test_emulator_connect.py -q)."""
from __future__ import annotations

import pytest
import requests

from integration_tests.emulator import Emulator
from integration_tests.emulator.store import PLATFORM_ID
from integration_tests.truth import expected_account_ids

KEY = "sk_test_emulator_0123456789"
H = {"Authorization": f"Bearer {KEY}"}
AT = 1_760_000_000


def acting_as(account: str) -> dict:
    return dict(H, **{"Stripe-Account": account})


def get(emu, path, params=None, headers=H):
    return requests.get(emu.url + path, params=params, headers=headers, timeout=10)


def control(emu, path, body=None):
    return requests.post(emu.url + "/_emulator/" + path, json=body or {}, timeout=30)


def read_all(emu, path, headers=H) -> list[dict]:
    params: dict = {"limit": 100}
    out: list[dict] = []
    while True:
        body = get(emu, path, params, headers).json()
        out += body["data"]
        if not body["has_more"]:
            return out
        params["starting_after"] = body["data"][-1]["id"]


@pytest.fixture()
def emu():
    """An emulator without seed data: its connected accounts are the bulk-seeded ones only."""
    with Emulator(seed=3, scale=0, rate_limit=False) as e:
        e.store.clock.set(now=AT + 86400)
        yield e


def seed(emu, count: int, objects: dict, at: int = AT) -> list[str]:
    r = control(emu, "accounts/seed", {"count": count, "objects": objects, "at": at})
    assert r.status_code == 200, r.text
    return r.json()["ids"]


# ----------------------------------------------------------------------------- GET /v1/account
def test_account_without_stripe_account_is_the_platforms_own(emu):
    r = get(emu, "/v1/account")
    assert r.status_code == 200 and r.headers["Stripe-Version"]
    account = r.json()
    assert account["id"] == PLATFORM_ID and account["object"] == "account"
    assert {"business_profile", "capabilities", "charges_enabled", "country", "created", "default_currency",
            "settings"} <= set(account)  # Stripe's example account object
    assert account["external_accounts"]["url"] == f"/v1/accounts/{PLATFORM_ID}/external_accounts"


def test_account_with_stripe_account_is_that_connected_account(emu):
    first, second = seed(emu, 2, {"customers": 1})
    r = get(emu, "/v1/account", headers=acting_as(second))
    assert r.status_code == 200
    listed = {a["id"]: a for a in read_all(emu, "/v1/accounts")}
    assert r.json() == listed[second] and r.json()["id"] != first


def test_account_of_an_unknown_account_is_account_invalid(emu):
    r = get(emu, "/v1/account", headers=acting_as("acct_1Unknown"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_invalid"


def test_account_of_a_seeded_connected_account_seeds_it_on_first_use():
    with Emulator(seed=1, scale=2, rate_limit=False) as e:
        acct = e.store.connected_accounts()[0]
        assert get(e, "/v1/account", headers=acting_as(acct)).json()["id"] == acct
        assert e.store.live_objects("customers", account=acct)


# ----------------------------------------------------------------------------- bulk seed
def test_bulk_seed_lists_exactly_the_new_accounts_newest_first(emu):
    ids = seed(emu, 5, {"customers": 2, "charges": 1})
    assert len(set(ids)) == 5 and all(i.startswith("acct_") for i in ids)
    listed = read_all(emu, "/v1/accounts")
    assert [a["id"] for a in listed] == ids[::-1]
    assert {a["created"] for a in listed} == {AT}


def test_bulk_seeded_accounts_hold_exactly_their_objects_and_no_default_seed_data(emu):
    ids = seed(emu, 3, {"customers": 2, "charges": 1})
    seen: set[str] = set()
    for acct in ids:
        customers = read_all(emu, "/v1/customers", acting_as(acct))
        charges = read_all(emu, "/v1/charges", acting_as(acct))
        assert len(customers) == 2 and len(charges) == 1
        assert {o["created"] for o in customers + charges} == {AT}
        for other in ("/v1/products", "/v1/invoices", "/v1/payment_intents", "/v1/balance_transactions"):
            assert read_all(emu, other, acting_as(acct)) == [], other
        mine = {o["id"] for o in customers + charges}
        assert not mine & seen
        seen |= mine
    assert read_all(emu, "/v1/customers") == []  # the platform gets none of them


def test_bulk_seed_of_2000_accounts_is_served(emu):
    ids = seed(emu, 2000, {"customers": 2, "charges": 2})
    assert len(read_all(emu, "/v1/accounts")) == 2000
    assert len(read_all(emu, "/v1/charges", acting_as(ids[1234]))) == 2


@pytest.mark.parametrize("objects", [{"invoice_line_items": 1}, {"persons": 1}, {"accounts": 1}, {"events": 1},
                                     {"nope": 1}, {"customers": -1}, ["customers"]])
def test_bulk_seed_refuses_what_a_connected_account_cannot_hold(emu, objects):
    r = control(emu, "accounts/seed", {"count": 1, "objects": objects})
    assert r.status_code in (400, 404) and r.json()["error"]
    assert read_all(emu, "/v1/accounts") == []


# ----------------------------------------------------------------------------- events per account
def test_each_accounts_events_hold_only_its_own_objects(emu):
    ids = seed(emu, 3, {"customers": 2, "charges": 1})
    for acct in ids:
        events = read_all(emu, "/v1/events", acting_as(acct))
        objects = {o["id"] for path in ("/v1/customers", "/v1/charges") for o in read_all(emu, path, acting_as(acct))}
        assert sorted(e["type"] for e in events) == ["charge.succeeded", "customer.created", "customer.created"]
        assert {e["data"]["object"]["id"] for e in events} == objects
        assert {e["account"] for e in events} == {acct}
    platform = read_all(emu, "/v1/events")
    assert {e["type"] for e in platform} == {"account.updated"}  # the accounts' creations, none of their objects
    assert {e["data"]["object"]["id"] for e in platform} == set(ids)


def test_seeded_connected_accounts_events_are_their_own():
    with Emulator(seed=2, scale=2, rate_limit=False) as e:
        accounts = e.store.connected_accounts()
        assert len(accounts) >= 2
        ids_by_account = {a: {ev["id"] for ev in read_all(e, "/v1/events", acting_as(a))} for a in accounts}
        platform = {ev["id"] for ev in read_all(e, "/v1/events")}
        for a, ids in ids_by_account.items():
            assert ids and not ids & platform
            assert all(not ids & other for b, other in ids_by_account.items() if b != a)


# ----------------------------------------------------------------------------- revocation
def assert_account_invalid(r: requests.Response, acct: str) -> None:
    assert r.status_code == 403
    error = r.json()["error"]
    assert error["code"] == "account_invalid" and error["type"] == "invalid_request_error"
    assert error["message"] == (f"The provided key 'sk_test_{'*' * 15}6789' does not have access to account "
                                f"'{acct}' (or that account does not exist). Application access may have been revoked.")
    assert error["doc_url"].endswith("/account-invalid")


def test_revoked_account_gets_403_account_invalid_and_leaves_the_accounts_list(emu):
    kept, revoked = seed(emu, 2, {"charges": 1})
    assert get(emu, "/v1/charges", headers=acting_as(revoked)).status_code == 200
    r = control(emu, f"accounts/{revoked}/revoke")
    assert r.status_code == 200 and r.json() == {"id": revoked, "revoked": True}
    for path in ("/v1/charges", "/v1/events", "/v1/account"):
        assert_account_invalid(get(emu, path, headers=acting_as(revoked)), revoked)
    assert [a["id"] for a in read_all(emu, "/v1/accounts")] == [kept]
    assert get(emu, "/v1/charges", headers=acting_as(kept)).status_code == 200
    assert len(emu.store.live_objects("charges", account=revoked)) == 1  # its data stays


def test_revoke_after_n_requests_answers_n_then_403(emu):
    target, other = seed(emu, 2, {"customers": 1})
    r = control(emu, "settings", {"revoke_after": {target: 3}})
    assert r.status_code == 200 and r.json()["revoke_after"] == {target: 3}
    statuses = [get(emu, "/v1/customers", headers=acting_as(target)).status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert_account_invalid(get(emu, "/v1/customers", headers=acting_as(target)), target)
    assert [a["id"] for a in read_all(emu, "/v1/accounts")] == [other]
    assert all(get(emu, "/v1/customers", headers=acting_as(other)).status_code == 200 for _ in range(5))
    assert emu.settings()["revoked"] == [target]


def test_revoke_after_counts_only_requests_acting_as_the_account(emu):
    (target,) = seed(emu, 1, {"customers": 1})
    emu.settings(revoke_after={target: 1})
    for _ in range(3):
        assert get(emu, "/v1/accounts").status_code == 200
    assert get(emu, "/v1/customers", headers=acting_as(target)).status_code == 200
    assert get(emu, "/v1/customers", headers=acting_as(target)).status_code == 403


def test_revoking_an_unknown_account_is_404(emu):
    assert control(emu, "accounts/acct_1Unknown/revoke").status_code == 404
    assert control(emu, "settings", {"revoke_after": {"acct_1Unknown": 1}}).status_code == 404
    assert control(emu, f"accounts/{PLATFORM_ID}/revoke").status_code == 404


def test_reset_restores_access(emu):
    (acct,) = seed(emu, 1, {"customers": 1})
    emu.store.revoke(acct)
    emu.reset(seed=1, scale=1)
    assert emu.settings()["revoked"] == [] and emu.settings()["revoke_after"] == {}
    seeded = emu.store.connected_accounts()[0]
    assert get(emu, "/v1/customers", headers=acting_as(seeded)).status_code == 200


# ----------------------------------------------------------------------------- truth over every account
def test_expected_account_ids_cover_the_platform_and_every_reachable_account(emu):
    a, b = seed(emu, 2, {"charges": 2})
    platform_charge = emu.store.create("charges", at=AT)["id"]
    want = {(PLATFORM_ID, platform_charge)} | {(acct, c["id"]) for acct in (a, b)
                                               for c in emu.store.live_objects("charges", account=acct)}
    assert expected_account_ids(emu.store, "charges", 0) == want and len(want) == 5
    assert expected_account_ids(emu.store, "charges", AT + 1) == set()  # start_date after every object
    emu.store.revoke(b)
    assert {acct for acct, _ in expected_account_ids(emu.store, "charges", 0)} == {PLATFORM_ID, a}
    assert {acct for acct, _ in expected_account_ids(emu.store, "charges", 0, [b])} == {b}
    assert {acct for acct, _ in expected_account_ids(emu.store, "charges", 0, [None])} == {PLATFORM_ID}


def test_truth_endpoint_gives_account_id_pairs(emu):
    ids = seed(emu, 3, {"customers": 1})
    r = requests.get(emu.url + "/_emulator/truth/customers", params={"accounts": "all"}, timeout=10)
    assert r.status_code == 200
    pairs = {tuple(p) for p in r.json()["pairs"]}
    assert pairs == expected_account_ids(emu.store, "customers", 0) and {acct for acct, _ in pairs} == set(ids)
    r = requests.get(emu.url + "/_emulator/truth/customers", params={"accounts": ids[0]}, timeout=10)
    assert {p[0] for p in r.json()["pairs"]} == {ids[0]}
