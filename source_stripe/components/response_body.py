"""One JSON parse per Stripe response, shared by the error handler, the paginator and the extractor; and the one
place that sets a response's body."""

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


def replace_body(response: requests.Response, content: bytes) -> None:
    """Makes `content` the body `response` reads (`.content`, `.text`, `.json()`, `json_body`) from now on."""
    # requests has no public setter for a body already read: `Response.content` reads and caches it in `_content`.
    response._content = content
    forget_body(response)


def response_with_body(template: requests.Response, content: bytes) -> requests.Response:
    """A new response like `template` (status, headers, url, request, encoding) whose body is `content`."""
    response = requests.Response()
    response.status_code = template.status_code
    response.headers = template.headers
    response.url = template.url
    response.request = template.request
    response.encoding = template.encoding
    replace_body(response, content)
    return response
