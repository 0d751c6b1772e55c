"""The emulator follows Stripe's API table (third_party/stripe_python/list_endpoints.tsv): the query parameters each
list accepts and whether it takes `created`, and the lists Stripe filters by default (prices: active only; reviews:
open only), whose other objects a full read reaches (`active=false`; the charges' `expand[]=data.review`)."""
from __future__ import annotations

import pytest
import requests

from integration_tests.emulator import Emulator
from integration_tests.emulator.api_table import list_endpoint
from integration_tests.emulator.resources import RESOURCES, TOP_LEVEL
from integration_tests.truth import expected_ids

KEY = "sk_test_emulator_0123456789"
H = {"Authorization": f"Bearer {KEY}"}
IN_THE_TABLE = [r for r in RESOURCES if list_endpoint(r.path) is not None]


@pytest.fixture(scope="module")
def emu():
    with Emulator(seed=3, scale=6, rate_limit=False) as emulator:
        yield emulator


def get(emu, path: str, params=None) -> requests.Response:
    return requests.get(emu.url + path, params=params, headers=H, timeout=10)


def ids(emu, path: str, params=None) -> set[str]:
    body = get(emu, path, dict(params or {}, limit=100)).json()
    assert not body["has_more"]
    return {o["id"] for o in body["data"]}


# ----------------------------------------------------------------------------- accepted parameters
@pytest.mark.parametrize("res", IN_THE_TABLE, ids=[r.key for r in IN_THE_TABLE])
def test_a_lists_accepted_parameters_are_those_of_stripes_table(res):
    endpoint = list_endpoint(res.path)
    assert (res.params, res.created_filter) == (endpoint.query_params, endpoint.created)


def test_every_resource_but_those_stripe_no_longer_lists_is_in_the_table():
    assert {r.key for r in RESOURCES} - {r.key for r in IN_THE_TABLE} == {"usage_records"}


def test_path_placeholders_are_no_query_parameters():
    endpoint = list_endpoint("customers/{id}/sources")
    assert "customer" in endpoint.required and endpoint.query_params == ("object",)


@pytest.mark.parametrize("res", TOP_LEVEL, ids=[r.key for r in TOP_LEVEL])
def test_an_unknown_parameter_is_stripes_400_and_the_tables_are_accepted(emu, res):
    refused = get(emu, "/v1/" + res.path, {"not_a_stripe_param": "x"})
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "parameter_unknown"
    for name in res.params:
        answer = get(emu, "/v1/" + res.path, {name: "x"})
        assert answer.status_code != 400 or answer.json()["error"].get("code") != "parameter_unknown", (res.key, name)
    created = get(emu, "/v1/" + res.path, {"created[gte]": "0"})
    assert (created.status_code == 200) == res.created_filter, res.key


# ----------------------------------------------------------------------------- default filters
def test_prices_without_active_are_the_active_ones_and_active_false_the_archived_ones(emu):
    prices = emu.store.live_objects("prices")
    active = {p["id"] for p in prices if p["active"]}
    archived = {p["id"] for p in prices if not p["active"]}
    assert active and archived
    assert ids(emu, "/v1/prices") == active == ids(emu, "/v1/prices", {"active": "true"})
    assert ids(emu, "/v1/prices", {"active": "false"}) == archived


def test_reviews_are_the_open_ones_only(emu):
    reviews = emu.store.live_objects("reviews")
    opened = {r["id"] for r in reviews if r["open"]}
    assert opened and opened != {r["id"] for r in reviews}
    assert ids(emu, "/v1/reviews") == opened


def test_subscriptions_without_status_leave_canceled_ones_out(emu):
    subscriptions = emu.store.live_objects("subscriptions")
    assert any(s["status"] == "canceled" for s in subscriptions)
    assert ids(emu, "/v1/subscriptions") == {s["id"] for s in subscriptions if s["status"] != "canceled"}
    assert ids(emu, "/v1/subscriptions", {"status": "all"}) == {s["id"] for s in subscriptions}


def test_charges_listed_with_expand_data_review_carry_their_review_object(emu):
    body = get(emu, "/v1/charges", {"expand[]": "data.review", "limit": 100}).json()
    reviewed = {c["id"]: c["review"] for c in body["data"] if c["review"] is not None}
    assert reviewed and all(isinstance(review, dict) for review in reviewed.values())
    assert {r["id"]: r for r in reviewed.values()} == {r["id"]: r for r in emu.store.live_objects("reviews")}
    assert all(review["charge"] == charge for charge, review in reviewed.items())
    plain = get(emu, "/v1/charges", {"limit": 100}).json()["data"]
    assert {c["id"]: c["review"] for c in plain if c["review"]} == {c: r["id"] for c, r in reviewed.items()}


# ----------------------------------------------------------------------------- seeding and truth
def test_seeded_archived_prices_and_closed_reviews_come_with_the_events_stripe_sends(emu):
    events = emu.store.events(include_expired=True)
    archived = {p["id"] for p in emu.store.live_objects("prices") if not p["active"]}
    closed = {r["id"] for r in emu.store.live_objects("reviews") if not r["open"]}
    price_updates = {e["data"]["object"]["id"] for e in events if e["type"] == "price.updated"}
    review_closes = {e["data"]["object"]["id"] for e in events if e["type"] == "review.closed"}
    assert archived and archived <= price_updates
    assert closed and closed == review_closes


def test_a_seeded_review_is_opened_with_its_charge(emu):
    for review in emu.store.live_objects("reviews"):
        charge = emu.store.get("charges", review["charge"])
        assert charge["review"] == review["id"] and charge["created"] == review["created"]


def test_the_truth_of_prices_and_reviews_is_every_one_created_since_the_start_date(emu):
    for stream in ("prices", "reviews"):
        everything = {o["id"] for o in emu.store.live_objects(stream)}
        assert expected_ids(emu.store, stream, 0) == everything
        assert ids(emu, "/v1/" + stream) < everything  # more than the default list gives
