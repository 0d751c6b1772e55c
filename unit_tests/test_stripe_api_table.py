"""The manifest held to Stripe's own API table (third_party/stripe_python/, derived from Stripe's Python SDK by
scripts/stripe_api_table.py): a new Stripe release is a diff of that table, and these tests say what it means."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import typing
from pathlib import Path
from typing import Dict, List, Optional, Set

import pytest
import yaml

from source_stripe.manifest import resolved_manifest, row_name

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "third_party" / "stripe_python"


def _rows(name: str) -> List[List[str]]:
    text = (TABLE / name).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line and not line.startswith("#")]


ENDPOINTS: Dict[str, List[str]] = {row[0]: row for row in _rows("list_endpoints.tsv")}
EVENT_OBJECTS: Dict[str, Set[str]] = {row[0]: set(row[1].split("|")) for row in _rows("event_types.tsv")}
STREAMS = {row_name(stream): stream["$parameters"] for stream in resolved_manifest()["streams"]}
DOC_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def _load_coverage():
    spec = importlib.util.spec_from_file_location("stripe_api_coverage", ROOT / "scripts" / "stripe_api_coverage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


coverage = _load_coverage()
SKIPPED, NOT_YET_STREAMED, REMOVED_ENDPOINTS = coverage.SKIPPED, coverage.NOT_YET_STREAMED, coverage.REMOVED_ENDPOINTS
EVENT_EXCEPTIONS, DEFAULT_FILTERS, DEFAULT_FILTER_GAPS, REREAD_EVENTS = (
    coverage.EVENT_EXCEPTIONS, coverage.DEFAULT_FILTERS, coverage.DEFAULT_FILTER_GAPS, coverage.REREAD_EVENTS
)

def _template(path: str) -> str:
    return re.sub(r"\{\w+\}", "{X}", path)


def endpoint_of(parameters: dict) -> Optional[str]:
    """The table's path of a stream's endpoint, None when the table has no such endpoint."""
    wanted = _template(parameters["path"].split("?")[0].replace("{{ stream_partition.parent_id }}", "{X}"))
    return next((path for path in ENDPOINTS if _template(path) == wanted), None)


def object_of(name: str) -> Set[str]:
    parameters = STREAMS[name]
    if parameters.get("event_object"):
        return {parameters["event_object"]}
    return set(ENDPOINTS[endpoint_of(parameters)][1].split("|"))  # type: ignore[index]


def test_the_table_is_what_the_pinned_stripe_sdk_says():
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "stripe_api_table.py"), "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_every_stream_reads_an_endpoint_of_stripes_table(name):
    if name in REMOVED_ENDPOINTS:
        assert endpoint_of(STREAMS[name]) is None, f"{name} is in the table again: take it out of REMOVED_ENDPOINTS"
        assert STREAMS[name].get("api_version", "9999") < "2025-03-31", f"{name} must pin an API version that has it"
    else:
        assert endpoint_of(STREAMS[name]) is not None, f"{name}: {STREAMS[name]['path']} is no list endpoint of Stripe"


def test_every_list_endpoint_is_a_stream_or_skipped_with_its_reason():
    streamed = {endpoint_of(parameters) for parameters in STREAMS.values()} - {None}
    uncovered = set(ENDPOINTS) - streamed - set(SKIPPED) - NOT_YET_STREAMED
    assert not uncovered, f"list endpoints that are no stream and in no skip list: {sorted(uncovered)}"
    assert not (streamed & (set(SKIPPED) | NOT_YET_STREAMED)), "a streamed endpoint is still listed as not streamed"
    assert (set(SKIPPED) | NOT_YET_STREAMED) <= set(ENDPOINTS), "a skip list names an endpoint Stripe does not have"
    assert all(reason.strip() for reason in SKIPPED.values())


@pytest.mark.parametrize("name", sorted(name for name, parameters in STREAMS.items() if parameters.get("event_types")))
def test_a_streams_event_types_are_exactly_those_that_carry_its_object(name):
    objects = object_of(name)
    carrying = {event_type for event_type, carried in EVENT_OBJECTS.items() if carried & objects}
    read = set(STREAMS[name]["event_types"])
    excepted = {event_type for (stream, event_type) in EVENT_EXCEPTIONS if stream == name}
    assert read - excepted == carrying - excepted, (
        f"{name} ({'|'.join(sorted(objects))}): reads {sorted(read - carrying - excepted)} that carry no such object, "
        f"misses {sorted(carrying - read - excepted)}"
    )
    assert excepted <= set(EVENT_OBJECTS), f"{name}: an exception names an event type Stripe does not have"


def test_the_events_that_re_read_a_streams_objects_carry_the_object_they_name_and_have_a_reason():
    declared = {(name, event_type) for name, p in STREAMS.items() for event_type in (p.get("reread_on") or {})}
    assert declared == set(REREAD_EVENTS), "a row's reread_on and REREAD_EVENTS disagree"
    for (name, event_type), (carried, reason) in REREAD_EVENTS.items():
        assert carried in EVENT_OBJECTS.get(event_type, set()), f"{name}: Stripe's {event_type} carries no {carried}"
        assert reason.strip() and event_type not in STREAMS[name]["event_types"], (name, event_type)
        [(stream_field, event_field)] = STREAMS[name]["reread_on"][event_type].items()
        endpoint = ENDPOINTS[endpoint_of(STREAMS[name])]
        if stream_field == "id":  # one object read by id, whose id the event's object names (a discount's `customer`)
            assert event_field != "id" and object_of(name) == {event_field}, (name, event_type)
        else:  # the stream's list filtered by the event's object (`?invoice=<id>`): a filter Stripe's list accepts
            assert event_field == "id" and stream_field == carried, (name, event_type)
            assert stream_field in endpoint[4].split(","), f"{name}: {endpoint[0]} takes no `{stream_field}` filter"


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_created_filters_go_only_to_endpoints_that_accept_them(name):
    parameters = STREAMS[name]
    endpoint = endpoint_of(parameters)
    if endpoint is None:
        return
    accepts_created = ENDPOINTS[endpoint][2] == "yes"
    stream = next(s for s in resolved_manifest()["streams"] if row_name(s) == name)
    list_side = stream["full_refresh_stream"] if stream.get("type") == "StateDelegatingStream" else stream
    retriever = list_side["retriever"]
    sends_created = (
        bool((list_side.get("incremental_sync") or {}).get("start_time_option"))
        and "parent_requester" not in retriever
    ) or "created[gte]" in str(retriever.get("requester", {}).get("request_parameters", ""))
    assert not sends_created or accepts_created, f"{name} sends created[...] to {endpoint}, which does not accept it"


def test_every_event_type_the_emulator_sends_is_one_stripe_has_with_the_same_object():
    from integration_tests.emulator.events import EVENT_TYPES

    def strings(value) -> Set[str]:
        if isinstance(value, str):
            return {value} if "." in value else set()
        if isinstance(value, dict):
            return set().union(*(strings(v) for v in value.values())) if value else set()
        if isinstance(value, (list, tuple)):
            return set().union(*(strings(v) for v in value)) if value else set()
        return set()

    sent = set().union(*(strings(actions) for actions in EVENT_TYPES.values()))
    assert sent and not (sent - set(EVENT_OBJECTS)), f"the emulator sends event types Stripe has not: {sorted(sent - set(EVENT_OBJECTS))}"


# The stream kind that reads each row parameter overriding a default filter (`query` is read by every kind).
OVERRIDE_KINDS = {"also_query": "evented_also_query_stream", "embedded_in": "evented_embedded_stream"}


@pytest.mark.parametrize("name", sorted(DEFAULT_FILTERS))
def test_a_documented_default_filter_is_overridden_so_that_everything_is_read(name):
    words, override = DEFAULT_FILTERS[name]
    assert words in DOC_LINK.sub(r"\1", ENDPOINTS[endpoint_of(STREAMS[name])][5]), f"{name}: Stripe's documentation changed"
    if override is None:
        assert DEFAULT_FILTER_GAPS.get(name), f"{name} lists only some objects and reads nothing else"
        return
    assert name not in DEFAULT_FILTER_GAPS, f"{name} reads everything: take it out of DEFAULT_FILTER_GAPS"
    kind = _row(name)["$ref"].rsplit("/", 1)[-1]
    for parameter, value in override.items():
        assert STREAMS[name].get(parameter) == value, f"{name}: the manifest's `{parameter}` is not {value!r}"
        assert OVERRIDE_KINDS.get(parameter, kind) == kind, f"{name}: `{parameter}` is read by {OVERRIDE_KINDS[parameter]}"


@pytest.mark.parametrize("parameter", sorted(OVERRIDE_KINDS))
def test_a_row_parameter_that_reads_what_a_list_leaves_out_is_a_documented_override(parameter):
    rows = {name for name, parameters in STREAMS.items() if parameter in parameters}
    overridden = {name for name, (_words, override) in DEFAULT_FILTERS.items() if override and parameter in override}
    assert rows == overridden


def _sdk_class(object_name: str) -> type:
    import stripe

    return getattr(stripe, "".join(word.title() for word in object_name.split("_")))


def expandable_to(object_name: str, field: str) -> Set[str]:
    """The SDK classes whose object `field` of an `object_name` holds when expanded (its `ExpandableField[...]`)."""
    arguments = typing.get_args(_sdk_class(object_name).__annotations__.get(field))
    return {a.__forward_arg__ for a in arguments if isinstance(a, typing.ForwardRef)} if str in arguments else set()


@pytest.mark.parametrize("name", sorted(name for name, parameters in STREAMS.items() if parameters.get("embedded_in")))
def test_a_stream_read_through_another_list_reads_a_list_whose_objects_expand_to_its_own(name):
    embedded_in = STREAMS[name]["embedded_in"]
    path, field = embedded_in["path"], embedded_in["field"]
    assert ENDPOINTS[path][2] == "yes", f"{name}: the windows go to {path} as created[...], which it does not accept"
    [listed] = ENDPOINTS[path][1].split("|")
    wanted = {_sdk_class(obj).__name__ for obj in object_of(name)}
    assert expandable_to(listed, field) == wanted, f"{name}: {listed}.{field} does not expand to a {wanted}"


def _row(name: str) -> dict:
    with open(ROOT / "manifest.yaml", encoding="utf-8") as file:
        rows = yaml.safe_load(file)["streams"]
    return next(row for row in rows if row["$parameters"]["name"] == name)


def test_every_streamed_list_whose_documentation_says_it_filters_by_default_is_in_the_default_filters():
    says_so = re.compile(r"\b(only|your) active\b|open set to true|not been canceled", re.IGNORECASE)
    documented = {
        name for name, parameters in STREAMS.items()
        if endpoint_of(parameters) and says_so.search(DOC_LINK.sub(r"\1", ENDPOINTS[endpoint_of(parameters)][5]))
    }
    assert documented == set(DEFAULT_FILTERS)
