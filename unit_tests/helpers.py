"""Shared builders for the unit tests: configs, catalogs, Stripe list pages, hand-made responses, reads, and the
requests a read sent. Fixtures live in conftest.py; the fake Stripe list endpoint in fake_stripe.py."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional
from urllib.parse import parse_qs, parse_qsl, urlsplit

import requests
from airbyte_cdk.models import AirbyteMessageSerializer, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, read
from airbyte_cdk.test.state_builder import StateBuilder

from source_stripe.source import SourceStripe

KEY = "sk_test_SECRETVALUE123"
START_DATE = "2025-01-01T00:00:00Z"
START_TS = 1735689600  # START_DATE as a Unix timestamp
API = "https://api.stripe.com/v1"
# The number of streams: the rows of the Stripe endpoint table the manifest is checked against.
STREAM_COUNT = sum(
    1
    for line in (Path(__file__).resolve().parents[1] / "integration_tests" / "stripe_paths.tsv").read_text().splitlines()
    if line and not line.startswith("#")
)


def make_config(**overrides: Any) -> Dict[str, Any]:
    """Estuary's config shape; keyword arguments add or replace top-level fields (None removes one)."""
    config: Dict[str, Any] = {
        "credentials": {"credentials_title": "Private App Credentials", "access_token": KEY},
        "start_date": START_DATE,
    }
    for name, value in overrides.items():
        if value is None:
            config.pop(name, None)
        else:
            config[name] = value
    return config


def airbyte_config(**overrides: Any) -> Dict[str, Any]:
    """Airbyte 5.x's config shape."""
    config: Dict[str, Any] = {
        "client_secret": KEY,
        "account_id": "acct_1",
        "start_date": START_DATE,
        "lookback_window_days": 0,
        "slice_range": 365,
        "num_workers": 10,
        "call_rate_limit": 25,
    }
    config.update(overrides)
    return config


def make_catalog(*streams: str, sync_mode: SyncMode = SyncMode.full_refresh):
    builder = CatalogBuilder()
    for stream in streams:
        builder.with_stream(stream, sync_mode)
    return builder.build()


def stripe_list(objects: List[Mapping[str, Any]], has_more: bool = False, url: str = "/v1/x") -> Dict[str, Any]:
    """A Stripe list page body."""
    return {"object": "list", "data": list(objects), "has_more": has_more, "url": url}


def page(objects: List[Mapping[str, Any]], has_more: bool = False, url: str = "/v1/x") -> Dict[str, Any]:
    """A requests-mock response spec for one Stripe list page."""
    return {"status_code": 200, "json": stripe_list(objects, has_more, url)}


def stripe_error(status: int, message: str, code: Optional[str] = None, headers: Optional[Dict[str, str]] = None):
    error: Dict[str, Any] = {"message": message, "type": "invalid_request_error"}
    if code:
        error["code"] = code
    spec: Dict[str, Any] = {"status_code": status, "json": {"error": error}}
    if headers:
        spec["headers"] = headers
    return spec


def response(status: int = 200, body: Any = None, content: Optional[bytes] = None, headers=None) -> requests.Response:
    """A hand-made requests.Response."""
    r = requests.Response()
    r.status_code = status
    r._content = content if content is not None else json.dumps(body).encode()
    r.headers.update(headers or {})
    r.url = f"{API}/charges"
    return r


def run_read(streams: Iterable[str], config: Mapping[str, Any], *, sync_mode=SyncMode.full_refresh, state=None,
             expecting_exception: bool = False) -> EntrypointOutput:
    catalog = make_catalog(*streams, sync_mode=sync_mode)
    source = SourceStripe(catalog=catalog, config=config, state=state)
    return read(source, config, catalog, state=state, expecting_exception=expecting_exception)


def a_recent_cursor() -> int:
    """A cursor an hour ago: well inside Stripe's event retention, so an incremental read takes the events path."""
    return int(time.time()) - 3600


def read_incremental(stream: str, cursor: Any, config: Optional[Mapping[str, Any]] = None) -> EntrypointOutput:
    """An incremental read of `stream` from the state `{"updated": cursor}`."""
    state = StateBuilder().with_stream_state(stream, {"updated": cursor}).build()
    return run_read([stream], config or make_config(), sync_mode=SyncMode.incremental, state=state)


def final_state(output: EntrypointOutput) -> Dict[str, Any]:
    """The stream state of the read's last state message."""
    return dict(vars(output.state_messages[-1].state.stream.stream_state))


def record_data(output: EntrypointOutput, stream: Optional[str] = None) -> List[Dict[str, Any]]:
    return [m.record.data for m in output.records if stream is None or m.record.stream == stream]


def all_messages_json(output: EntrypointOutput) -> str:
    """Every message the read produced (records, state, traces, logs), serialised."""
    return "\n".join(json.dumps(AirbyteMessageSerializer.dump(m)) for m in output._messages or [])


def error_messages(output: EntrypointOutput) -> List[str]:
    return [m.trace.error.message for m in output.errors]


def warnings_of(output: EntrypointOutput) -> List[str]:
    return [m.log.message for m in output.logs if m.log.level.value == "WARN"]


# --- the requests a read sent (to a requests-mock Mocker) -------------------------------------------------------


def requests_to(mock, path: str) -> List:
    """The requests sent to `/v1/<path>`, in the order sent."""
    return [r for r in mock.request_history if urlsplit(r.url).path == f"/v1/{path}"]


def params(request) -> Dict[str, str]:
    """A request's query, one value per name."""
    return dict(parse_qsl(urlsplit(request.url).query, keep_blank_values=True))


def query(request) -> Dict[str, List[str]]:
    """A request's query, every value of each name (for `types[]`)."""
    return parse_qs(urlsplit(request.url).query, keep_blank_values=True)


def one_window_config(**overrides: Any) -> Dict[str, Any]:
    """`make_config` whose whole history since START_DATE is one `created` window. At the default `slice_range` (365
    days) a read after 2025-12-31 cuts it in two; tests of one window's requests (headers, pages, retries) use this,
    tests of the windowing do not."""
    return make_config(**{"slice_range": 36500, **overrides})
