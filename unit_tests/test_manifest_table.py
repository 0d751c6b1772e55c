"""Keeps the manifest's stream table honest against the independent list of Stripe endpoints."""

from __future__ import annotations

from pathlib import Path

import pytest

from source_stripe.source import SourceStripe
from helpers import STREAM_COUNT


ROOT = Path(__file__).resolve().parents[1]
PATHS_TSV = ROOT / "integration_tests" / "stripe_paths.tsv"
CONFIG = {"credentials": {"access_token": "sk_test_x"}, "start_date": "2025-01-01T00:00:00Z"}


def _expected() -> dict[str, tuple[str, str, str]]:
    rows = {}
    for line in PATHS_TSV.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            stream, kind, path, parent, _fixture, _field = line.split("\t")
            rows[stream] = (kind, path, parent)
    return rows


def _list_side(stream: dict) -> dict:
    """The stream that reads the list: the stream itself, or an evented stream's `full_refresh_stream`."""
    return stream["full_refresh_stream"] if stream.get("type") == "StateDelegatingStream" else stream


def _endpoint(stream: dict) -> str:
    """`customers/{id}/sources?object=card` from a resolved manifest stream."""
    stream = _list_side(stream)
    retriever = stream["retriever"]
    parameters = stream.get("$parameters", {})
    path = retriever["requester"].get("path") or parameters["path"]
    path = path.replace("{{ stream_partition.parent_id }}", "{id}")
    query = dict(parameters.get("query") or {})
    router = retriever.get("partition_router")
    if router:
        option = router["parent_stream_configs"][0].get("request_option")
        if option:
            query[option["field_name"]] = "{id}"
    elif parameters.get("parent_query"):  # a child listed per parent by ListedParentsChildrenRetriever
        query[parameters["parent_query"]] = "{id}"
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture(scope="module")
def streams() -> dict[str, dict]:
    manifest = SourceStripe(config=CONFIG).resolved_manifest
    return {s.get("name") or s["$parameters"]["name"]: s for s in manifest["streams"]}


def test_every_stripe_endpoint_has_exactly_one_stream(streams):
    assert set(streams) == set(_expected())
    assert len(streams) == STREAM_COUNT


@pytest.mark.parametrize("name", sorted(_expected()))
def test_stream_reads_its_stripe_endpoint(streams, name):
    assert _endpoint(streams[name]) == _expected()[name][1]


@pytest.mark.parametrize("name", sorted(_expected()))
def test_stream_kind_matches_the_table(streams, name):
    kind, _path, parent = _expected()[name]
    evented = streams[name].get("type") == "StateDelegatingStream"
    stream = _list_side(streams[name])
    router = stream["retriever"].get("partition_router")
    parameters = stream.get("$parameters", {})
    if kind == "child" and router is None:
        # A child that follows its parent: its first read lists the parents created in each window itself.
        assert stream["retriever"]["class_name"].endswith("ListedParentsChildrenRetriever")
        assert parameters["parent_path"] == streams[parent]["full_refresh_stream"]["$parameters"]["path"]
        assert stream["incremental_sync"]["cursor_field"] == "updated"
    elif kind == "child":
        parent_stream = router["parent_stream_configs"][0]["stream"]
        assert (parent_stream.get("name") or parent_stream["$parameters"]["name"]) == parent
        # Listed through a partition router: the first read has no cursor; later reads (if any) follow events.
        assert "incremental_sync" not in stream
    else:
        assert router is None
        assert ("incremental_sync" in stream) == (kind == "created" or evented)
    if evented:
        assert kind != "created"
        events_side = streams[name]["incremental_stream"]
        retriever = events_side["retriever"]
        events_requester = retriever.get("parent_requester") or retriever["requester"]
        assert events_requester["path"] == "events"
        assert events_side["incremental_sync"]["cursor_field"] == "updated"
        if kind != "child":
            assert stream["incremental_sync"]["cursor_field"] == "updated"


def test_children_that_follow_their_parent_read_the_parent_rows_event_types(streams):
    followers = {
        name: stream
        for name, stream in streams.items()
        if stream.get("type") == "StateDelegatingStream" and "parent_requester" in stream["incremental_stream"]["retriever"]
    }
    assert len(followers) == 9
    for name, stream in followers.items():
        parent = _expected()[name][2]
        parameters = stream["incremental_stream"]["$parameters"]
        assert parameters["parent_event_types"] == streams[parent]["incremental_stream"]["$parameters"]["event_types"], name
