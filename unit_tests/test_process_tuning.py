"""process_tuning.py: the garbage collector and the C allocator, set for streaming records."""

from __future__ import annotations

import gc

import pytest

import requests
import requests.adapters
import requests.sessions

from source_stripe.process_tuning import (
    CollectorSettings,
    ConnectionPools,
    EnvironmentProxies,
    MallocArenas,
    ResponseBodyReads,
)


@pytest.fixture
def thresholds():
    saved = gc.get_threshold()
    yield
    gc.set_threshold(*saved)


def test_streaming_raises_only_the_young_generations_threshold(thresholds):
    gc.set_threshold(700, 11, 12)
    CollectorSettings.for_streaming()
    assert gc.get_threshold() == (CollectorSettings.YOUNG_THRESHOLD, 11, 12)


def test_the_collector_still_runs_when_streaming(thresholds):
    CollectorSettings.for_streaming()
    assert gc.isenabled()
    assert CollectorSettings.YOUNG_THRESHOLD <= 100_000  # cycles left by requests are still freed during a read


def test_startup_objects_are_frozen_and_a_second_freeze_adds_none(monkeypatch):
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    monkeypatch.setattr(gc, "get_freeze_count", lambda: len(frozen) * 1000)
    CollectorSettings.freeze_startup()
    CollectorSettings.freeze_startup()
    assert frozen == [True]


def test_malloc_arenas_are_limited_where_the_c_library_is_glibc():
    import platform

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("not glibc")
    assert MallocArenas.limit() is True


@pytest.fixture
def chunk_size():
    import requests.models

    saved = requests.models.CONTENT_CHUNK_SIZE
    yield
    requests.models.CONTENT_CHUNK_SIZE = saved


def test_a_whole_response_body_is_read_in_one_chunk_and_unchanged(chunk_size):
    import io

    import requests
    from urllib3 import HTTPResponse

    body = b'{"object": "list", "data": [' + b", ".join(b'{"id": "ch_%d"}' % i for i in range(20_000)) + b"]}"
    reads = []

    class CountingBody(io.BytesIO):
        def read(self, size=-1):
            reads.append(size)
            return super().read(size)

    ResponseBodyReads.in_large_chunks()
    response = requests.Response()
    response.status_code = 200
    response.raw = HTTPResponse(body=CountingBody(body), preload_content=False, headers={"Content-Length": str(len(body))})
    assert response.content == body
    assert len(body) > 10 * 1024 and len([size for size in reads if size]) <= 2  # the body, then the end


def test_every_new_session_keeps_as_many_connections_per_host_as_held(monkeypatch):
    from airbyte_cdk.sources.streams.http import http_client

    init = requests.adapters.HTTPAdapter.__init__
    monkeypatch.setattr(init, "__defaults__", init.__defaults__)
    monkeypatch.setattr(http_client, "MAX_CONNECTION_POOL_SIZE", http_client.MAX_CONNECTION_POOL_SIZE)
    ConnectionPools.hold(64)
    session = requests.Session()
    for url in ("http://127.0.0.1:12111/v1/charges", "https://api.stripe.com/v1/charges"):
        assert session.get_adapter(url).poolmanager.connection_pool_kw["maxsize"] == 64
    assert requests.adapters.HTTPAdapter(pool_maxsize=3).poolmanager.connection_pool_kw["maxsize"] == 3


def test_the_environments_proxies_are_honoured_and_read_once_per_host(monkeypatch):
    EnvironmentProxies.once_per_host()
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "bypassed.example")
    lookup = requests.sessions.get_environ_proxies
    assert lookup("https://first-host.example/v1/charges")["https"] == "http://proxy.example:3128"
    assert "https" not in lookup("https://bypassed.example/v1/charges")
    monkeypatch.setenv("HTTPS_PROXY", "http://other-proxy.example:3128")
    assert lookup("https://first-host.example/v1/customers")["https"] == "http://proxy.example:3128"  # read once
    assert lookup("https://second-host.example/v1/charges")["https"] == "http://other-proxy.example:3128"


def test_a_request_goes_through_the_proxy_the_environment_names(monkeypatch):
    """End to end through requests: the session's send is handed the environment's proxy."""
    EnvironmentProxies.once_per_host()
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    sent = {}

    def send(self, request, **kwargs):
        sent.update(kwargs)
        raise requests.ConnectionError("stop here")

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", send)
    with pytest.raises(requests.ConnectionError):
        requests.Session().get("http://third-host.example/v1/charges")
    assert sent["proxies"]["http"] == "http://proxy.example:3128"
