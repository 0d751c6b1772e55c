"""Each seam of source_stripe/cdk_seams.py against the real airbyte-cdk: a CDK upgrade that changes what a seam relies
on fails here, naming the seam, instead of breaking a sync (or silently slowing it down)."""

from __future__ import annotations

import inspect
import io
import sys
from queue import Queue
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Dict, Iterator, List

import pytest
import requests
import requests_mock
from airbyte_cdk.models import SyncMode, Type
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.declarative.models.declarative_component_schema import (
    SimpleRetriever as SimpleRetrieverModel,
)
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.requesters.requester import Requester
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
from airbyte_cdk.sources.types import Record, StreamSlice
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import read
from airbyte_cdk.test.state_builder import StateBuilder
from airbyte_cdk.utils import PrintBuffer
from jsonschema import ValidationError
from serpyco_rs import Serializer

from source_stripe.cdk_seams import (
    bound_record_queue,
    cdk_message_to_string,
    factory_message_repository,
    serialize_messages_with,
    window_bounds,
    adopt_cursor,
    first_page_slice,
    is_static_template,
    remember_static_templates,
    size_cdk_connection_pools,
    format_slice_boundary,
    parse_slice_boundary,
    retype_component_factory,
    route_cdk_print_buffer,
    serializers_without_field_docs,
    skip_runtime_manifest_validation,
    slice_boundary_fields,
    use_component_factory,
    validate_manifest_now,
)
from source_stripe.components.factory import StripeComponentFactory
from source_stripe.components.windows import DensityWindowCursor, PrefetchedFirstPages, PrefetchedPages
from source_stripe.redaction import redacting

API = "https://api.stripe.com/v1"
START, END = "2025-01-01T00:00:00Z", "2025-03-01T00:00:00Z"
START_TS, END_TS = 1735689600, 1740787200
ISO = "%Y-%m-%dT%H:%M:%SZ"


def broke(seam: str, what: str) -> str:
    return f"cdk seam '{seam}' broke: {what}; see source_stripe/cdk_seams.py"


@contextmanager
def seam(name: str) -> Iterator[None]:
    """Turns an error raised by the CDK while a seam is exercised into a failure naming the seam."""
    try:
        yield
    except AssertionError:
        raise
    except Exception as error:
        pytest.fail(broke(name, f"{type(error).__name__}: {error}"))


# --------------------------------------------------------------------------------------------------------------------
# A one-stream manifest read with the CDK's own components (no Stripe component but the ones under test).
# --------------------------------------------------------------------------------------------------------------------
def query_option(field_name: str) -> Dict[str, Any]:
    return {"type": "RequestOption", "inject_into": "request_parameter", "field_name": field_name}


def retriever_definition(page_size: int = 100) -> Dict[str, Any]:
    return {
        "type": "SimpleRetriever",
        "requester": {"type": "HttpRequester", "url_base": API, "path": "charges", "http_method": "GET"},
        "record_selector": {"type": "RecordSelector", "extractor": {"type": "DpathExtractor", "field_path": ["data"]}},
        "paginator": {
            "type": "DefaultPaginator",
            "page_size_option": query_option("limit"),
            "page_token_option": query_option("starting_after"),
            "pagination_strategy": {
                "type": "CursorPagination",
                "cursor_value": "{{ last_record['id'] }}",
                "stop_condition": "{{ not response.has_more }}",
                "page_size": page_size,
            },
        },
    }


def manifest(window_pages: int = 0, datetime_format: str = "%s", **cursor: Any) -> Dict[str, Any]:
    """`charges`, a `created` cursor from START to END (one slice), density windows when `window_pages` > 0."""
    incremental_sync = {
        "type": "DatetimeBasedCursor",
        "cursor_field": "created",
        "cursor_datetime_formats": [datetime_format],
        "datetime_format": datetime_format,
        "start_datetime": {"type": "MinMaxDatetime", "datetime": START, "datetime_format": ISO},
        "end_datetime": {"type": "MinMaxDatetime", "datetime": END, "datetime_format": ISO},
        "step": "P365D",
        "cursor_granularity": "PT1S",
        "start_time_option": query_option("created[gte]"),
        "end_time_option": query_option("created[lte]"),
        **cursor,
    }
    if window_pages:
        incremental_sync["$parameters"] = {"window_pages": window_pages}
    schema = {"type": "object", "properties": {"id": {"type": "string"}, "created": {"type": "integer"}}}
    return {
        "version": "7.39.1",
        "type": "DeclarativeSource",
        "check": {"type": "CheckStream", "stream_names": ["charges"]},
        "spec": {"type": "Spec", "connection_specification": {"type": "object", "properties": {}}},
        "streams": [
            {
                "type": "DeclarativeStream",
                "name": "charges",
                "primary_key": "id",
                "schema_loader": {"type": "InlineSchemaLoader", "schema": schema},
                "retriever": retriever_definition(),
                "incremental_sync": incremental_sync,
            }
        ],
    }


def catalog():
    return CatalogBuilder().with_stream("charges", SyncMode.incremental).build()


def source_of(definition: Dict[str, Any], **kwargs: Any) -> ConcurrentDeclarativeSource:
    return ConcurrentDeclarativeSource(source_config=definition, config={}, **kwargs)


def charges_cursor(source: ConcurrentDeclarativeSource) -> ConcurrentCursor:
    (stream,) = source.streams({})
    return stream.cursor


def a_response(body: Dict[str, Any]) -> requests.Response:
    """A response as the CDK's HttpClient returns it, from requests-mock (no hand-set private attribute)."""
    with requests_mock.Mocker() as mock:
        mock.get("https://probe.test/page", json=body)
        return requests.get("https://probe.test/page")


# --------------------------------------------------------------------------------------------------------------------
# use_component_factory / retype_component_factory
# --------------------------------------------------------------------------------------------------------------------
def test_use_component_factory_makes_the_source_build_its_streams_with_the_given_factory_class():
    state = StateBuilder().with_stream_state("charges", {"created": "1738000000"}).build()
    source = source_of(manifest(window_pages=5), state=state, catalog=catalog())
    with seam("use_component_factory"):
        use_component_factory(source, StripeComponentFactory)
        cursor = charges_cursor(source)
    assert isinstance(cursor, DensityWindowCursor), broke(
        "use_component_factory", f"the source built a {type(cursor).__name__}, not StripeComponentFactory's cursor"
    )
    assert cursor.state == {"created": "1738000000"}, broke(
        "use_component_factory", "the retyped factory lost the source's state manager"
    )


class RecordingFactory(ModelToComponentFactory):
    retrievers: List[Any] = []

    def create_simple_retriever(self, *args: Any, **kwargs: Any) -> Any:
        retriever = super().create_simple_retriever(*args, **kwargs)
        RecordingFactory.retrievers.append(retriever)
        return retriever


def test_a_retyped_factory_dispatches_components_to_the_subclass_overrides():
    factory = ModelToComponentFactory()
    with seam("retype_component_factory"):
        retyped = retype_component_factory(factory, RecordingFactory)
        retriever = retyped.create_component(
            SimpleRetrieverModel, retriever_definition(), {}, name="charges", primary_key="id", transformations=[]
        )
    assert retyped is factory and type(factory) is RecordingFactory
    assert RecordingFactory.retrievers == [retriever], broke(
        "retype_component_factory", "create_component did not call the subclass's create_simple_retriever"
    )


def test_a_factory_is_only_retyped_into_a_subclass_of_its_class():
    class Unrelated(ModelToComponentFactory):
        pass

    with pytest.raises(TypeError):
        retype_component_factory(RecordingFactory(), Unrelated)


# --------------------------------------------------------------------------------------------------------------------
# skip_runtime_manifest_validation / validate_manifest_now
# --------------------------------------------------------------------------------------------------------------------
def invalid_manifest() -> Dict[str, Any]:
    invalid = manifest()
    invalid["check"] = {"type": "CheckStream", "stream_names": "charges"}  # a string, where the schema wants a list
    return invalid


@skip_runtime_manifest_validation
class QuickSource(ConcurrentDeclarativeSource):
    pass


def test_the_cdk_validates_the_manifest_when_a_source_is_made():
    # What skip_runtime_manifest_validation turns off: without it the CDK rejects an invalid manifest at once.
    with pytest.raises(ValidationError):
        source_of(invalid_manifest())


def test_a_source_class_with_skipped_validation_is_made_from_an_invalid_manifest():
    with seam("skip_runtime_manifest_validation"):
        QuickSource(source_config=invalid_manifest(), config={})


def test_validate_manifest_now_runs_the_cdks_validation_that_the_class_skips():
    with seam("validate_manifest_now"):
        validate_manifest_now(QuickSource(source_config=manifest(), config={}))
        with pytest.raises(ValidationError):
            validate_manifest_now(QuickSource(source_config=invalid_manifest(), config={}))


# --------------------------------------------------------------------------------------------------------------------
# adopt_cursor / slice_boundary_fields / parse_slice_boundary / format_slice_boundary
# --------------------------------------------------------------------------------------------------------------------
class AdoptedCursor(ConcurrentCursor):
    pass


def test_an_adopted_cursor_keeps_the_cdk_cursors_state_and_slices():
    state = StateBuilder().with_stream_state("charges", {"created": "1738000000"}).build()
    cursor = charges_cursor(source_of(manifest(), state=state))
    assert type(cursor) is ConcurrentCursor, "the plain CDK factory no longer builds a ConcurrentCursor"
    state_before, slices_before = cursor.state, list(cursor.stream_slices())
    with seam("adopt_cursor"):
        adopted = adopt_cursor(cursor, AdoptedCursor)
        assert type(adopted) is AdoptedCursor
        assert adopted.state == state_before == {"created": "1738000000"}, broke("adopt_cursor", "state lost")
        assert list(adopted.stream_slices()) == slices_before, broke("adopt_cursor", "slices differ")
        assert adopted.cursor_field.cursor_field_key == "created"


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({}, ("start_time", "end_time")),
        ({"partition_field_start": "from", "partition_field_end": "to"}, ("from", "to")),
    ],
)
def test_the_slice_boundary_fields_are_the_keys_of_the_cursors_slices(fields, expected):
    cursor = charges_cursor(source_of(manifest(**fields)))
    with seam("slice_boundary_fields"):
        boundary_fields = slice_boundary_fields(cursor)
        (first,) = cursor.stream_slices()
    assert boundary_fields == expected, broke("slice_boundary_fields", f"{boundary_fields} != {expected}")
    assert tuple(first.cursor_slice) == boundary_fields, broke(
        "slice_boundary_fields", f"the cursor's slices are keyed {tuple(first.cursor_slice)}, not {boundary_fields}"
    )


@pytest.mark.parametrize("datetime_format, start", [("%s", str(START_TS)), (ISO, START)])
def test_a_slice_boundary_parses_to_its_moment_and_formats_back_in_the_cursors_format(datetime_format, start):
    cursor = charges_cursor(source_of(manifest(datetime_format=datetime_format)))
    (first,) = cursor.stream_slices()
    assert list(first.cursor_slice.values())[0] == start, "the CDK's cursor no longer starts its slices at START"
    with seam("parse_slice_boundary"):
        moment = parse_slice_boundary(cursor, start)
    assert moment == datetime.fromtimestamp(START_TS, tz=timezone.utc), broke("parse_slice_boundary", repr(moment))
    with seam("format_slice_boundary"):
        formatted = format_slice_boundary(cursor, moment)
    assert formatted == start, broke("format_slice_boundary", f"{formatted!r} != {start!r}")


# --------------------------------------------------------------------------------------------------------------------
# first_page_slice
# --------------------------------------------------------------------------------------------------------------------
WINDOW = StreamSlice(partition={}, cursor_slice={"start_time": str(START_TS), "end_time": str(END_TS)})


def test_requesters_take_the_slice_and_the_page_token_under_the_names_the_seam_reads():
    parameters = list(inspect.signature(Requester.send_request).parameters)
    assert {"stream_slice", "next_page_token"} <= set(parameters), broke(
        "first_page_slice", f"Requester.send_request's parameters are {parameters}"
    )


@pytest.mark.parametrize(
    "args, kwargs, expected",
    [
        ((), {"stream_slice": WINDOW, "next_page_token": None, "request_params": {}}, WINDOW),
        ((), {"stream_slice": WINDOW, "next_page_token": {"next_page_token": "ch_2"}}, None),
        ((), {"stream_slice": WINDOW}, None),  # not a paginated read: never taken for a first page
        ((), {"next_page_token": None}, None),
        (({}, WINDOW, None), {}, WINDOW),  # positional, in Requester.send_request's order
        (({}, WINDOW, {"next_page_token": "ch_2"}), {}, None),
    ],
)
def test_only_a_call_for_a_slices_first_page_yields_its_slice(args, kwargs, expected):
    assert first_page_slice(args, kwargs) is expected, broke("first_page_slice", f"wrong answer for {args} {kwargs}")


def test_a_prefetched_first_page_is_served_to_a_real_simple_retriever_instead_of_its_http_request():
    retriever = ModelToComponentFactory().create_component(
        SimpleRetrieverModel, retriever_definition(page_size=2), {}, name="charges", primary_key="id",
        transformations=[],
    )
    pages = PrefetchedPages()
    pages.put(WINDOW, a_response({"data": [{"id": "ch_3"}, {"id": "ch_2"}], "has_more": True}))
    retriever.requester = PrefetchedFirstPages(retriever.requester, pages)
    with requests_mock.Mocker() as stripe:
        stripe.get(f"{API}/charges", json={"data": [{"id": "ch_1"}], "has_more": False})
        with seam("first_page_slice"):
            ids = [record["id"] for record in retriever.read_records({}, WINDOW)]
    sent = [request.qs for request in stripe.request_history]
    assert len(pages) == 0, broke("first_page_slice", "SimpleRetriever's first request was not recognised as one")
    assert sent == [{"starting_after": ["ch_2"], "limit": ["2"]}], broke(
        "first_page_slice", f"expected only the second page over HTTP, sent {sent}"
    )
    assert ids == ["ch_3", "ch_2", "ch_1"], broke("first_page_slice", f"read {ids}")


def test_a_density_windowed_stream_of_one_page_is_read_with_its_probe_as_the_only_request():
    source = source_of(manifest(window_pages=5), catalog=catalog())
    use_component_factory(source, StripeComponentFactory)
    charges = [{"id": "ch_2", "created": START_TS + 20}, {"id": "ch_1", "created": START_TS + 10}]
    body = {"data": charges, "has_more": False}
    with requests_mock.Mocker() as stripe:
        stripe.get(f"{API}/charges", json=body)
        output = read(source, {}, catalog())
    errors = [error.trace.error.message for error in output.errors]
    assert not errors, f"a read through cdk seams 'use_component_factory' and 'first_page_slice' failed: {errors}"
    assert [record.record.data["id"] for record in output.records] == ["ch_2", "ch_1"]
    assert len(stripe.request_history) == 1, broke(
        "first_page_slice", f"the window's probe page was not served: {len(stripe.request_history)} requests"
    )


# --------------------------------------------------------------------------------------------------------------------
# route_cdk_print_buffer
# --------------------------------------------------------------------------------------------------------------------
@pytest.fixture
def real_stdout(monkeypatch) -> io.StringIO:
    """`sys.__stdout__`, the stream the CDK's PrintBuffer writes to, as a StringIO (restored afterwards)."""
    sink = io.StringIO()
    monkeypatch.setattr(sys, "__stdout__", sink)
    return sink


def test_what_the_cdks_print_buffer_flushes_goes_through_the_routed_wrapper(real_stdout):
    with seam("route_cdk_print_buffer"):
        route_cdk_print_buffer(redacting)
        route_cdk_print_buffer(redacting)  # once wrapped, `redacting` leaves it as it is
        buffer = PrintBuffer(flush_interval=60)
        buffer.write('{"type":"LOG","log":{"message":"Invalid API Key provided: sk_test_****E123"}}\n')
        buffer.flush()
    printed = real_stdout.getvalue()
    assert printed == '{"type":"LOG","log":{"message":"Invalid API Key provided: sk_test_[REDACTED]"}}\n', broke(
        "route_cdk_print_buffer", f"PrintBuffer printed {printed!r}"
    )


def test_the_cdks_log_handler_stream_is_a_print_buffer():
    # `launch` and the CDK's log handler print through this one PrintBuffer.
    from airbyte_cdk.logger import LOGGING_CONFIG, PRINT_BUFFER

    assert isinstance(PRINT_BUFFER, PrintBuffer)
    assert LOGGING_CONFIG["handlers"]["console"]["stream"] is PRINT_BUFFER, broke(
        "route_cdk_print_buffer", "the CDK's log handler no longer writes through PRINT_BUFFER"
    )



# --------------------------------------------------------------------------------------------------------------------
# window_bounds / factory_message_repository (Connect reads)
# --------------------------------------------------------------------------------------------------------------------
def test_the_window_bounds_are_the_manifests_start_end_step_and_lookback():
    cursor = charges_cursor(source_of(manifest(lookback_window="P2D")))
    assert type(cursor) is ConcurrentCursor, "the plain CDK factory no longer builds a ConcurrentCursor"
    with seam("window_bounds"):
        start, end, step, lookback = window_bounds(cursor)
    expected_start = int(datetime.strptime(START, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
    expected_end = int(datetime.strptime(END, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())
    assert (start, end) == (expected_start, expected_end), broke("window_bounds", "start or end differ")
    assert (step, lookback) == (365 * 86400, 2 * 86400), broke("window_bounds", "step or lookback differ")


def test_the_factorys_message_repository_is_the_sources():
    source = source_of(manifest())
    factory = use_component_factory(source, StripeComponentFactory)
    with seam("factory_message_repository"):
        repository = factory_message_repository(factory)
    cursor = charges_cursor(source)
    assert type(cursor) is ConcurrentCursor, "the plain CDK factory no longer builds a ConcurrentCursor"
    # The CDK gives the cursors it builds the source's repository: ours must emit where they do.
    assert repository is not None and repository is vars(cursor).get("_message_repository"), broke(
        "factory_message_repository", "not the repository the CDK's own cursors emit to"
    )


# --------------------------------------------------------------------------------------------------------------------
# bound_record_queue / serialize_messages_with (the hot path of a read)
# --------------------------------------------------------------------------------------------------------------------
def twenty_charges() -> Dict[str, Any]:
    return {"data": [{"id": f"ch_{i}", "created": START_TS + i} for i in range(20, 0, -1)], "has_more": False}


def test_the_bounded_queue_is_the_one_the_partition_readers_put_records_on(monkeypatch):
    source = source_of(manifest(), catalog=catalog())
    with seam("bound_record_queue"):
        bound_record_queue(source, 3)
    bounds: List[int] = []
    put = Queue.put

    def recording_put(queue: Queue, item: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(item, Record):
            bounds.append(queue.maxsize)
        put(queue, item, *args, **kwargs)

    monkeypatch.setattr(Queue, "put", recording_put)
    with requests_mock.Mocker() as stripe:
        stripe.get(f"{API}/charges", json=twenty_charges())
        output = read(source, {}, catalog())
    assert len(output.records) == 20  # through a queue of 3, without deadlock
    assert bounds and set(bounds) == {3}, broke("bound_record_queue", f"records were put on queues bounded {set(bounds)}")


@pytest.fixture
def cdks_serializer():
    """Puts the CDK's own serializer back after the test."""
    yield
    serialize_messages_with(cdk_message_to_string())


def test_the_entrypoint_writes_every_message_through_the_installed_serializer(cdks_serializer):
    written: List[Type] = []

    def to_string(message: Any) -> str:
        written.append(message.type)
        return cdk_message_to_string()(message)

    with seam("serialize_messages_with"):
        serialize_messages_with(to_string)
        source = source_of(manifest(), catalog=catalog())
        with requests_mock.Mocker() as stripe:
            stripe.get(f"{API}/charges", json=twenty_charges())
            output = read(source, {}, catalog())  # the CDK's AirbyteEntrypoint.run, as `launch` runs it
    assert [record.record.data["id"] for record in output.records][:2] == ["ch_20", "ch_19"]
    assert written.count(Type.RECORD) == 20 and Type.STATE in written, broke(
        "serialize_messages_with", f"the entrypoint serialised {len(written)} messages through it"
    )
    assert written.count(Type.RECORD) == len(output.records)


def test_the_cdks_serializer_is_kept_when_another_is_installed(cdks_serializer):
    from airbyte_cdk.entrypoint import AirbyteEntrypoint

    original = cdk_message_to_string()
    serialize_messages_with(str)
    assert AirbyteEntrypoint.airbyte_message_to_string is str
    assert cdk_message_to_string() is original


# --------------------------------------------------------------------------------------------------------------------
# serializers_without_field_docs (start-up)
# --------------------------------------------------------------------------------------------------------------------
@dataclass
class DocumentedCharge:
    id: str
    """The charge's id."""
    amount: int


def test_a_serializer_built_without_field_docs_encodes_and_decodes_as_one_with_them():
    with seam("serializers_without_field_docs"):
        with serializers_without_field_docs():
            bare = Serializer(DocumentedCharge)
    documented = Serializer(DocumentedCharge)
    charge = DocumentedCharge(id="ch_1", amount=3100)
    assert bare.dump(charge) == documented.dump(charge) == {"id": "ch_1", "amount": 3100}
    assert bare.load({"id": "ch_1", "amount": 3100}) == charge


def test_a_serializer_built_without_field_docs_has_no_descriptions_in_its_schema():
    def descriptions(serializer: Serializer) -> List[str]:
        (schema,) = serializer.get_json_schema()["components"]["schemas"].values()
        return [field["description"] for field in schema["properties"].values() if "description" in field]

    with serializers_without_field_docs():
        bare = Serializer(DocumentedCharge)
    assert descriptions(Serializer(DocumentedCharge)) == ["The charge's id."]
    assert descriptions(bare) == [], broke("serializers_without_field_docs", "serpyco still read the docstrings")


# --------------------------------------------------------------------------------------------------------------------
# remember_static_templates
# --------------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "template, static",
    [
        ("{{ config['credentials']['access_token'] }}", True),
        ("{{ (config.get('api_base_url') or 'https://api.stripe.com').rstrip('/') }}/v1/", True),
        ("{{ parameters.get('api_version') or config.get('api_version') }}", True),
        ("{{ dict(parameters.get('query') or {}, **{'created[gte]': format_datetime(config['start_date'], '%s')}) }}", True),
        ("charges", True),
        ("{{ now_utc().strftime('%Y-%m-%dT%H:%M:%SZ') }}", False),
        ("{{ (stream_slice or {}).get('stripe_account') or config.get('account_id') }}", False),
        ("customers/{{ stream_partition.parent_id }}/sources", False),
        ("{{ record['created'] >= 5 }}", False),
        ("{% set x = config['a'] %}{{ x }}", False),  # a name the template assigns: not judged, rendered each time
    ],
)
def test_a_template_is_static_when_it_reads_only_the_config_the_parameters_and_pure_macros(template, static):
    assert is_static_template(template) is static


def test_a_static_template_is_rendered_once_per_config_and_parameters_objects():
    from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString

    remember_static_templates()
    config = {"api_base_url": "https://first.test"}
    url = InterpolatedString.create("{{ config['api_base_url'] }}/v1/", parameters={})
    with seam("remember_static_templates"):
        assert url.eval(config) == "https://first.test/v1/"
        config["api_base_url"] = "https://second.test"  # the same object changed: the remembered value is served
        assert url.eval(config) == "https://first.test/v1/", broke(
            "remember_static_templates", "InterpolatedString.eval no longer renders through JinjaInterpolation.eval"
        )
        assert url.eval(dict(config)) == "https://second.test/v1/"  # another config object is rendered


def test_templates_reading_the_slice_or_the_clock_are_rendered_on_every_use():
    from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString

    remember_static_templates()
    account = InterpolatedString.create("{{ (stream_slice or {}).get('account') }}", parameters={})
    config: Dict[str, Any] = {}
    assert account.eval(config, stream_slice={"account": "acct_1"}) == "acct_1"
    assert account.eval(config, stream_slice={"account": "acct_2"}) == "acct_2"
    clock = InterpolatedString.create("{{ now_utc().microsecond }}-{{ generate_uuid() }}", parameters={})
    assert clock.eval(config) != clock.eval(config)


def test_a_remembered_mapping_is_handed_out_as_a_copy_the_caller_may_change():
    from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString

    remember_static_templates()
    query = InterpolatedString.create("{{ parameters.get('query') or {} }}", parameters={"query": {"object": "card"}})
    config: Dict[str, Any] = {}
    first = query.eval(config)
    assert first == {"object": "card"}
    first["limit"] = 100
    assert query.eval(config) == {"object": "card"}


def test_a_requesters_url_headers_and_query_are_the_same_with_remembered_templates():
    """The CDK's HttpRequester built from a manifest gives the same request, static templates remembered or not."""
    from airbyte_cdk.sources.declarative.interpolation.jinja import JinjaInterpolation

    definition = manifest()
    requester = definition["streams"][0]["retriever"]["requester"]
    requester.update(
        url_base="{{ config['base'] }}/v1",
        request_headers={"Stripe-Version": "{{ parameters.get('api_version') or config['version'] }}"},
        request_parameters={"expand[]": "{{ parameters.expand }}"},
        authenticator={"type": "BearerAuthenticator", "api_token": "{{ config['key'] }}"},
    )
    definition["streams"][0]["$parameters"] = {"expand": "data.customer"}
    config = {"base": "https://api.stripe.com", "version": "2025-01-27", "key": "sk_test_abc"}
    seen: List[Any] = []

    def requested_once() -> Any:
        with requests_mock.Mocker() as mock:
            mock.get(f"{API}/charges", json={"data": [], "has_more": False})
            source = ConcurrentDeclarativeSource(source_config=definition, config=config)
            list(read(source, config, catalog()).records)
            request = mock.request_history[0]
            return request.url, request.headers["Stripe-Version"], request.headers["Authorization"]

    with seam("remember_static_templates"):
        seen.append(requested_once())
        remember_static_templates()
        assert getattr(JinjaInterpolation.eval, "__source_stripe_remembered__", False)
        seen.append(requested_once())
    assert seen[0] == seen[1]
    assert "expand%5B%5D=data.customer" in seen[1][0] and seen[1][1:] == ("2025-01-27", "Bearer sk_test_abc")


# --------------------------------------------------------------------------------------------------------------------
# size_cdk_connection_pools
# --------------------------------------------------------------------------------------------------------------------
def test_the_cdks_http_client_keeps_as_many_connections_as_the_seam_sets(monkeypatch):
    from airbyte_cdk.sources.streams.http import http_client
    from airbyte_cdk.sources.streams.http.http_client import HttpClient
    import logging

    monkeypatch.setattr(http_client, "MAX_CONNECTION_POOL_SIZE", http_client.MAX_CONNECTION_POOL_SIZE)
    size_cdk_connection_pools(64)
    with seam("size_cdk_connection_pools"):
        client = HttpClient(name="charges", logger=logging.getLogger("test"))
        adapter = client._session.get_adapter("https://api.stripe.com/v1/charges")
    assert adapter.poolmanager.connection_pool_kw["maxsize"] == 64, broke(
        "size_cdk_connection_pools", "HttpClient no longer sizes its https pool from MAX_CONNECTION_POOL_SIZE"
    )
