"""Lists that Stripe filters by default, read whole through the CDK against a mocked Stripe API: prices (active only
unless `active=false`) and reviews (open only; closed ones are read from the charges, `expand[]=data.review`)."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import List, Tuple
from urllib.parse import parse_qsl, urlsplit

from fake_stripe import FakeStripeList
from helpers import API, START_TS, error_messages, make_config, one_window_config, params, record_data, requests_to, run_read

NOW = int(datetime.now(timezone.utc).timestamp())
DAY = 86400


def spread(count: int, seed: int) -> List[int]:
    rng = random.Random(seed)
    return [rng.randint(START_TS, NOW - 60) for _ in range(count)]


class PricesByActive:
    """`/v1/prices`: the active prices, or with `active=false` the archived ones (requests-mock `text=`)."""

    def __init__(self, active: FakeStripeList, archived: FakeStripeList) -> None:
        self.active, self.archived = active, archived

    def __call__(self, request, context) -> str:
        query = dict(parse_qsl(urlsplit(request.url).query))
        return (self.archived if query.get("active") == "false" else self.active)(request, context)


def ids_of(*lists: FakeStripeList) -> List[str]:
    return [o["id"] for fake in lists for o in fake.objects]


def tiles(windows: List[Tuple[int, int]], low: int) -> bool:
    """True when the windows, sorted, follow one another from `low` without gap or overlap."""
    ordered = sorted(windows)
    return ordered[0][0] == low and all(a[1] + 1 == b[0] for a, b in zip(ordered, ordered[1:]))


# --- prices --------------------------------------------------------------------------------------------------------


def test_archived_prices_are_read(stripe):
    prices = PricesByActive(FakeStripeList(spread(30, 1), prefix="price_a"), FakeStripeList(spread(12, 2), prefix="price_x"))
    stripe.get(f"{API}/prices", text=prices)
    output = run_read(["prices"], one_window_config())
    assert not output.errors, error_messages(output)
    records = record_data(output)
    assert sorted(r["id"] for r in records) == sorted(ids_of(prices.active, prices.archived))
    assert all(r["updated"] == r["created"] and r["is_deleted"] is False for r in records)
    active_request, archived_request = requests_to(stripe, "prices")
    assert "active" not in params(active_request)
    assert params(archived_request) == dict(params(active_request), active="false")  # the same window, archived


def test_a_price_both_queries_return_is_emitted_once(stripe):
    # Archived between the two requests of its window: in both lists (same ids: same prefix and index).
    prices = PricesByActive(FakeStripeList(spread(5, 1), prefix="price"), FakeStripeList(spread(3, 1), prefix="price"))
    stripe.get(f"{API}/prices", text=prices)
    output = run_read(["prices"], one_window_config())
    assert not output.errors, error_messages(output)
    assert sorted(r["id"] for r in record_data(output)) == sorted(ids_of(prices.active))


def test_density_windows_are_planned_on_the_active_prices_and_their_probe_pages_serve_only_that_query(stripe):
    prices = PricesByActive(FakeStripeList(spread(5_000, 1), prefix="price_a"), FakeStripeList(spread(700, 2), prefix="price_x"))
    stripe.get(f"{API}/prices", text=prices)
    output = run_read(["prices"], make_config(num_workers=5))
    assert not output.errors, error_messages(output)
    ids = [r["id"] for r in record_data(output)]
    assert len(ids) == len(set(ids)) and set(ids) == set(ids_of(prices.active, prices.archived))
    assert len(set(prices.active.windows)) >= 10  # probes and windows: the active prices were planned
    # Every window's archived prices were asked over the network from the window's start: none came from a probe.
    assert tiles(prices.archived.windows, START_TS)
    assert len(prices.archived.windows) == len(set(prices.archived.windows)) >= 10


def test_a_window_counts_as_read_only_when_both_queries_are(stripe):
    first_window_end = START_TS + 100 * DAY - 1

    def prices(request, context):
        query = dict(parse_qsl(urlsplit(request.url).query))
        if query.get("active") == "false" and int(query["created[gte]"]) == START_TS:
            context.status_code = 400
            return '{"error": {"message": "boom", "type": "invalid_request_error"}}'
        return FakeStripeList(spread(50, 1), prefix="price")(request, context)

    stripe.get(f"{API}/prices", text=prices)
    output = run_read(["prices"], make_config(slice_range=100), expecting_exception=True)
    assert output.errors  # the oldest window's archived prices failed
    assert any(int(params(r)["created[gte]"]) > first_window_end for r in requests_to(stripe, "prices"))
    cursors = [int(m.state.stream.stream_state.updated) for m in output.state_messages]
    assert all(cursor <= first_window_end for cursor in cursors), "a checkpoint passed a window whose reads failed"


# --- reviews -------------------------------------------------------------------------------------------------------


def charges_with_reviews(count: int, seed: int) -> Tuple[FakeStripeList, FakeStripeList, List[str]]:
    """Charges, every tenth with a review opened with it (one in three still open), expanded in the charges' list as
    `expand[]=data.review` returns it; the list of the open reviews; and the ids of the closed ones."""
    charges = FakeStripeList(spread(count, seed), prefix="ch")
    for charge in charges.objects:
        charge["review"] = None
    reviewed = charges.objects[::10]
    opened, closed = reviewed[::3], [c for i, c in enumerate(reviewed) if i % 3]
    open_reviews = FakeStripeList([charge["created"] for charge in opened], prefix="prv_open")
    for review in open_reviews.objects:
        charge = opened[int(review["id"].rsplit("_", 1)[1])]
        review.update(open=True, charge=charge["id"])
        charge["review"] = review
    for charge in closed:
        charge["review"] = {"id": f"prv_of_{charge['id']}", "created": charge["created"], "open": False, "charge": charge["id"]}
    return charges, open_reviews, [charge["review"]["id"] for charge in closed]


def test_closed_reviews_are_read_through_their_charges(stripe):
    charges, open_reviews, closed = charges_with_reviews(300, 1)
    stripe.get(f"{API}/reviews", text=open_reviews)
    stripe.get(f"{API}/charges", text=charges)
    output = run_read(["reviews"], one_window_config())
    assert not output.errors, error_messages(output)
    records = record_data(output)
    assert sorted(r["id"] for r in records) == sorted(ids_of(open_reviews) + closed)  # the open ones once
    assert closed and all(r["updated"] == r["created"] and r["is_deleted"] is False for r in records)
    charges_requests = requests_to(stripe, "charges")
    assert all(params(request)["expand[]"] == "data.review" for request in charges_requests)
    assert len(charges_requests) <= 4  # 300 charges, 100 a page, cut in windows of at least two pages
    assert tiles(open_reviews.windows, START_TS)  # each window's open reviews, once


def test_reviews_windows_are_planned_on_their_charges(stripe):
    charges, open_reviews, closed = charges_with_reviews(4_000, 2)
    stripe.get(f"{API}/reviews", text=open_reviews)
    stripe.get(f"{API}/charges", text=charges)
    output = run_read(["reviews"], make_config(num_workers=5))
    assert not output.errors, error_messages(output)
    ids = [r["id"] for r in record_data(output)]
    assert len(ids) == len(set(ids)) and set(ids) == set(ids_of(open_reviews)) | set(closed)
    windows = set(open_reviews.windows)
    assert len(windows) >= 10 and tiles(list(windows), START_TS)  # each window's open reviews, one request each
    assert len(requests_to(stripe, "charges")) <= 1.25 * 4_000 / 100  # the probes are the windows' first pages


def test_a_review_opened_after_its_charges_window_keeps_the_state_inside_the_window(stripe):
    window_end = START_TS + 100 * DAY - 1  # the first window with a `slice_range` of 100 days
    charges = FakeStripeList([window_end, START_TS + 200 * DAY], prefix="ch")
    for charge in charges.objects:
        charge["review"] = {"id": f"prv_of_{charge['id']}", "created": charge["created"] + 30, "open": False}
    stripe.get(f"{API}/reviews", text=FakeStripeList([]))
    stripe.get(f"{API}/charges", text=charges)
    output = run_read(["reviews"], make_config(slice_range=100))
    assert not output.errors, error_messages(output)
    updated = {r["id"]: r["updated"] for r in record_data(output)}
    assert updated == {"prv_of_ch_0": window_end, "prv_of_ch_1": START_TS + 200 * DAY + 30}
