import orjson
import pytest

from helpers import response
from source_stripe.components.response_body import json_body


def test_json_object_body_is_parsed():
    r = response(body={"object": "list", "data": [{"id": "ch_1"}]})
    assert json_body(r) == {"object": "list", "data": [{"id": "ch_1"}]}


def test_body_is_parsed_once_and_cached_on_the_response():
    r = response(body={"n": 1})
    first = json_body(r)
    r._content = b'{"n": 2}'
    assert json_body(r) is first
    assert json_body(r) == {"n": 1}


def test_non_json_body_raises_value_error():
    r = response(content=b'{"object": "list", "da')
    with pytest.raises(ValueError):
        json_body(r)


def test_json_decode_error_is_a_value_error():
    assert issubclass(orjson.JSONDecodeError, ValueError)


@pytest.mark.parametrize("content", [b"[1, 2]", b'"text"', b"null", b"42"])
def test_json_that_is_not_an_object_raises_value_error(content):
    with pytest.raises(ValueError):
        json_body(response(content=content))


def test_failed_parse_is_not_cached():
    r = response(content=b"not json")
    with pytest.raises(ValueError):
        json_body(r)
    r._content = b'{"ok": true}'
    assert json_body(r) == {"ok": True}


def test_empty_body_raises_value_error():
    with pytest.raises(ValueError):
        json_body(response(content=b""))
