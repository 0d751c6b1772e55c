import pytest

from helpers import response, stripe_list
from source_stripe.components.extractors import ListDataExtractor
from source_stripe.components.response_body import json_body


def extract(body=None, content=None):
    return list(ListDataExtractor(parameters={}).extract_records(response(body=body, content=content)))


def test_records_are_the_data_array_in_order():
    objects = [{"id": "ch_3"}, {"id": "ch_2"}, {"id": "ch_1"}]
    assert extract(stripe_list(objects, has_more=True)) == objects


def test_records_are_returned_unchanged():
    obj = {"id": "ch_1", "amount": 100, "metadata": {"a": "b"}, "refunds": {"object": "list", "data": []}}
    assert extract(stripe_list([obj])) == [obj]


@pytest.mark.parametrize("body", [stripe_list([]), {"object": "list", "has_more": False}, {"data": None}])
def test_empty_missing_or_null_data_gives_no_records(body):
    assert extract(body) == []


def test_extraction_uses_the_cached_parse():
    r = response(body=stripe_list([{"id": "a"}]))
    json_body(r)
    r._content = b"garbage"  # would not parse again
    assert list(ListDataExtractor(parameters={}).extract_records(r)) == [{"id": "a"}]


def test_non_json_body_raises():
    with pytest.raises(ValueError):
        extract(content=b"<html>")
