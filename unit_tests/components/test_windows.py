"""Density windows read through the CDK: probe pages from responses, and each served once as its window's first page."""

from __future__ import annotations

import json
from typing import List, Tuple

from helpers import response
from source_stripe.components.response_body import json_body
from source_stripe.components.windows import (
    PrefetchedFirstPages,
    PrefetchedPages,
    first_page_body,
    first_page_response,
    probe_page,
)


def test_a_probe_page_entirely_inside_the_window_is_its_first_page_as_is():
    body = {"data": [{"id": "a", "created": 9}, {"id": "b", "created": 7}], "has_more": True}
    assert first_page_body(body, 7) is body


def test_a_probe_page_reaching_below_the_window_is_narrowed_and_has_no_more():
    body = {"data": [{"id": "a", "created": 9}, {"id": "b", "created": 7}, {"id": "c", "created": 5}], "has_more": True}
    assert first_page_body(body, 7) == {"data": body["data"][:2], "has_more": False}


def test_a_narrowed_first_page_response_reads_as_its_narrowed_body():
    body = {"data": [{"id": "a", "created": 9}, {"id": "c", "created": 5}], "has_more": True}
    page = probe_page(9, response(body=body))
    narrowed = first_page_response(page, 6)
    assert json_body(narrowed) == {"data": [{"id": "a", "created": 9}], "has_more": False}
    assert json.loads(narrowed.content) == json_body(narrowed)


def test_an_error_or_a_body_without_created_times_is_a_complete_page_so_the_range_stays_one_window():
    error = response(400, {"error": {"message": "not set up to use Issuing"}})
    assert probe_page(5, error).covers_from(0)
    assert probe_page(5, response(body={"data": [{"id": "x"}], "has_more": True})).covers_from(0)


class RecordingRequester:
    def __init__(self) -> None:
        self.sent: List[Tuple] = []

    def send_request(self, **kwargs):
        self.sent.append(kwargs)
        return "from the network"

    def get_url_base(self, **kwargs):
        return "https://api.stripe.com/v1/"


def test_a_prefetched_first_page_is_served_once_and_later_pages_go_to_the_network():
    from airbyte_cdk.sources.types import StreamSlice

    window = StreamSlice(partition={}, cursor_slice={"start_time": "1", "end_time": "2"})
    pages = PrefetchedPages()
    pages.put(window, "probe page")
    requester = PrefetchedFirstPages(RecordingRequester(), pages)
    assert requester.send_request(stream_slice=window, next_page_token=None) == "probe page"
    assert requester.send_request(stream_slice=window, next_page_token={"next_page_token": "o1"}) == "from the network"
    assert requester.send_request(stream_slice=window, next_page_token=None) == "from the network"
    assert requester.get_url_base() == "https://api.stripe.com/v1/"
    assert len(pages) == 0
