"""The pieces that read a list Stripe filters by default: the objects another list embeds, one read of an object per
window, a cursor kept inside its window, and the retriever's own checks. Reads through the CDK are in
source/test_filtered_lists.py."""

from __future__ import annotations

import pytest
from airbyte_cdk.sources.types import Record, StreamSlice

from helpers import response
from source_stripe.components.also_lists import (
    AlsoListRetriever,
    EmbeddedObjectExtractor,
    FirstReadInWindow,
    within_window,
)

EMBEDDED_IN = {"embedded_in": {"path": "charges", "field": "review", "unless": {"open": True}}}


def charges_page(*reviews) -> dict:
    return {"object": "list", "has_more": False, "data": [{"id": f"ch_{i}", "review": r} for i, r in enumerate(reviews)]}


def test_the_embedded_objects_that_the_list_leaves_out_are_extracted():
    closed = {"id": "prv_closed", "open": False}
    extractor = EmbeddedObjectExtractor(parameters=EMBEDDED_IN)
    page = charges_page(closed, {"id": "prv_open", "open": True}, None, "prv_not_expanded")
    assert list(extractor.extract_records(response(body=page))) == [closed]


def test_without_unless_every_embedded_object_is_extracted():
    extractor = EmbeddedObjectExtractor(parameters={"embedded_in": {"path": "charges", "field": "review"}})
    reviews = [{"id": "prv_1", "open": True}, {"id": "prv_2", "open": False}]
    assert list(extractor.extract_records(response(body=charges_page(*reviews)))) == reviews


def test_an_extractor_without_its_field_is_refused():
    with pytest.raises(ValueError, match="embedded_in.field"):
        EmbeddedObjectExtractor(parameters={})


def test_an_object_is_emitted_once_per_window_as_first_read():
    window = FirstReadInWindow()
    assert window.first({"id": "price_1", "active": True})
    assert not window.first({"id": "price_1", "active": False})
    assert window.first({"id": "price_2"})
    assert window.first({"no": "id"}) and window.first({"no": "id"})


def record(updated: int) -> Record:
    return Record(data={"id": "prv_1", "updated": updated}, stream_name="reviews", associated_slice=None)


def test_a_cursor_past_the_window_is_lowered_to_its_end_and_one_inside_is_kept():
    assert within_window(record(1_005), "updated", 1_000).data["updated"] == 1_000
    assert within_window(record(990), "updated", 1_000).data["updated"] == 990
    assert within_window(record(1_005), "updated", None).data["updated"] == 1_005
    message = object()
    assert within_window(message, "updated", 1_000) is message


def retriever(**fields) -> AlsoListRetriever:
    return AlsoListRetriever(
        requester=object(), record_selector=object(), config={}, parameters={}, name="prices", primary_key="id",
        **fields,
    )


def test_the_retriever_needs_the_requester_of_the_other_list():
    with pytest.raises(ValueError, match="also_requester"):
        retriever()


def test_the_windows_are_planned_on_this_list_or_the_other_one_only():
    with pytest.raises(ValueError, match="windows_from"):
        retriever(also_requester=object(), windows_from="charges")


def test_the_other_list_is_read_with_the_same_window_options_paginator_and_record_selector():
    window_options = object()
    made = retriever(also_requester="the other requester", request_options_provider=window_options)
    assert made.also.requester == "the other requester"
    assert made.also.request_option_provider is window_options is made.request_option_provider
    assert made.also.paginator is made.paginator and made.also.record_selector is made.record_selector


def test_the_window_end_is_read_from_the_slice():
    made = retriever(also_requester=object())
    assert made.window_end(StreamSlice(partition={}, cursor_slice={"start_time": "1", "end_time": "99"})) == 99
    assert made.window_end(StreamSlice(partition={}, cursor_slice={})) is None
