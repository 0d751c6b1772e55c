"""One JSON parse per Stripe response, shared by the error handler, the paginator and the extractor."""

from __future__ import annotations

from typing import Any, Mapping

import orjson
import requests

_CACHE_ATTRIBUTE = "_source_stripe_body"


def json_body(response: requests.Response) -> Mapping[str, Any]:
    """The response's JSON body, parsed once with orjson and cached on the response.

    Raises ValueError (orjson.JSONDecodeError) when the body is not JSON; callers that must survive that (the
    error handler) catch it.
    """
    body = getattr(response, _CACHE_ATTRIBUTE, None)
    if body is None:
        body = orjson.loads(response.content)
        if not isinstance(body, dict):
            raise ValueError("Stripe response body is not a JSON object")
        setattr(response, _CACHE_ATTRIBUTE, body)
    return body



def forget_body(response: requests.Response) -> None:
    """Drops the parsed body cached on `response` (the next `json_body` parses its bytes again)."""
    if hasattr(response, _CACHE_ATTRIBUTE):
        delattr(response, _CACHE_ATTRIBUTE)
