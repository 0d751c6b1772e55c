"""The seams: every place where source-stripe relies on airbyte-cdk internals, and nowhere else.

A seam is a small function that does one thing the CDK offers no public way to do (swap the component factory,
skip a start-up step, take over a cursor the CDK built, ...) by touching a private attribute or method, or by
relying on how the CDK calls our code. Each one names, in its docstring, the CDK internal it relies on and why no
public way exists. No other module of source_stripe may touch a CDK private (unit_tests/test_private_cdk_access.py
enforces it), so a CDK upgrade can only break the connector here.

airbyte-cdk is pinned (7.39.1). unit_tests/test_cdk_seams.py exercises every seam against the real CDK and fails
naming the seam ("cdk seam 'adopt_cursor' broke: ...") when an upgrade changes what it relies on: fix the seam
here, or find the public way the new CDK offers and delete the seam.

This module imports nothing from airbyte-cdk at import time (type hints only): `redaction` uses it before the CDK
is loaded.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, Mapping, Optional, TextIO, Tuple, TypeVar

if TYPE_CHECKING:
    from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
    from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
    from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
    from airbyte_cdk.sources.types import StreamSlice

S = TypeVar("S", bound="ConcurrentDeclarativeSource")
F = TypeVar("F", bound="ModelToComponentFactory")
C = TypeVar("C", bound="ConcurrentCursor")


# --------------------------------------------------------------------------------------------------------------------
# The source: its component factory, its start-up validation.
# --------------------------------------------------------------------------------------------------------------------
def use_component_factory(source: ConcurrentDeclarativeSource, factory_class: type[F]) -> F:
    """Makes `source` build its components with `factory_class`, a subclass of the CDK's ModelToComponentFactory;
    returns that factory.

    Relies on: `ConcurrentDeclarativeSource._constructor` (concurrent_declarative_source.py), the factory its
    `__init__` builds and every later `create_component` goes through.
    Why: CDK 7.39.1's ConcurrentDeclarativeSource takes no factory argument, and the factory it builds already
    holds the source's message queue, state manager and catalog, so it is turned into `factory_class` in place
    (see `retype_component_factory`) rather than replaced.
    """
    return retype_component_factory(source._constructor, factory_class)


def retype_component_factory(factory: ModelToComponentFactory, factory_class: type[F]) -> F:
    """`factory`, now an instance of `factory_class` (a subclass of its class that adds no instance state).

    Relies on: `ModelToComponentFactory._init_mappings()` (parsers/model_to_component_factory.py), which fills
    `PYDANTIC_MODEL_TO_CONSTRUCTOR` with the factory's bound `create_*` methods; after the class swap it must run
    again, or the table would still call the old class's methods and the subclass's overrides would never run.
    Why: see `use_component_factory`; `__init__` cannot be run again without losing the source's wiring.
    """
    if isinstance(factory, factory_class):
        return factory
    if not issubclass(factory_class, type(factory)):
        raise TypeError(f"{factory_class.__name__} is not a subclass of {type(factory).__name__}")
    factory.__class__ = factory_class
    factory._init_mappings()
    return factory  # type: ignore[return-value]


def _no_runtime_manifest_validation(source: Any) -> None:
    """The manifest is validated by the tests (`validate_manifest_now`), not on every start."""


def skip_runtime_manifest_validation(source_class: type[S]) -> type[S]:
    """Class decorator: instances of `source_class` do not validate their manifest against the CDK's component schema
    when they are made (~0.15 s of every start-up). Use it only for a bundled manifest that a test validates with
    `validate_manifest_now`.

    Relies on: `ConcurrentDeclarativeSource._validate_source()` (concurrent_declarative_source.py), called by
    `__init__` (and after a manifest migration) to run `validate_manifest`.
    Why: the CDK has no option to skip the validation.
    """
    source_class._validate_source = _no_runtime_manifest_validation  # type: ignore[assignment]
    return source_class


def validate_manifest_now(source: ConcurrentDeclarativeSource) -> None:
    """Validates `source`'s resolved manifest exactly as the CDK does at start-up; raises jsonschema's
    ValidationError when it is invalid. Works on a class decorated with `skip_runtime_manifest_validation`.

    Relies on: `ConcurrentDeclarativeSource._validate_source()` (concurrent_declarative_source.py), the CDK's own
    implementation, called past the no-op the decorator installed.
    Why: it is the validation the decorator skips; calling it (not a copy of it) keeps the test faithful to the CDK.
    """
    from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource

    ConcurrentDeclarativeSource._validate_source(source)


# --------------------------------------------------------------------------------------------------------------------
# Cursors: taking over the ConcurrentCursor the factory built.
# --------------------------------------------------------------------------------------------------------------------
def adopt_cursor(cursor: ConcurrentCursor, cls: type[C]) -> C:
    """A `cls` (a ConcurrentCursor subclass) with all of `cursor`'s state: stream, state, converter, boundaries.
    `cls.__init__` is not run; `cursor` must not be used afterwards (they share their mutable state and lock).

    Relies on: `ConcurrentCursor.__init__` (streams/concurrent/cursor.py) keeping every attribute in the instance's
    `__dict__` (no `__slots__`, nothing computed elsewhere).
    Why: the factory builds ConcurrentCursor from the manifest inside
    `create_concurrent_cursor_from_datetime_based_cursor`, from private values (the state converter, the clamping
    strategy, the evaluated start and end); rebuilding it through the public constructor would mean re-deriving
    all of them.
    """
    adopted = cls.__new__(cls)
    adopted.__dict__.update(cursor.__dict__)
    return adopted


def slice_boundary_fields(cursor: ConcurrentCursor) -> Tuple[str, str]:
    """The keys of the start and end of `cursor`'s slices in `StreamSlice.cursor_slice` (e.g. `start_time`,
    `end_time`).

    Relies on: the property `ConcurrentCursor._slice_boundary_fields_wrapper` (streams/concurrent/cursor.py): the
    manifest's `partition_field_start`/`_end`, or the state converter's START_KEY/END_KEY when there are none.
    Why: the cursor does not expose them; a cursor that yields its own slices must use the same keys, since
    `close_partition` and the requester's `start_time_option`/`end_time_option` read them.
    """
    return cursor._slice_boundary_fields_wrapper


def parse_slice_boundary(cursor: ConcurrentCursor, value: Any) -> datetime:
    """A slice boundary of `cursor` (a value of `cursor_slice[slice_boundary_fields(cursor)[i]]`) as a datetime.

    Relies on: `ConcurrentCursor._connector_state_converter` (streams/concurrent/cursor.py) and its public
    `parse_value`.
    Why: the converter knows the manifest's `datetime_format`; the cursor does not expose it.
    """
    return cursor._connector_state_converter.parse_value(value)  # type: ignore[no-any-return]


def format_slice_boundary(cursor: ConcurrentCursor, moment: datetime) -> Any:
    """`moment` formatted as `cursor` formats its slice boundaries (the inverse of `parse_slice_boundary`).

    Relies on: `ConcurrentCursor._connector_state_converter` and its public `output_format` (see
    `parse_slice_boundary`).
    """
    return cursor._connector_state_converter.output_format(moment)


# --------------------------------------------------------------------------------------------------------------------
# Requests: recognising the request of a slice's first page.
# --------------------------------------------------------------------------------------------------------------------
SLICE_ARGUMENT = "stream_slice"
PAGE_TOKEN_ARGUMENT = "next_page_token"


@lru_cache(maxsize=1)
def _send_request_parameters() -> Tuple[str, ...]:
    """The parameter names of `Requester.send_request`, in order, after `self`."""
    import inspect

    from airbyte_cdk.sources.declarative.requesters.requester import Requester

    return tuple(inspect.signature(Requester.send_request).parameters)[1:]


def first_page_slice(args: Tuple[Any, ...], kwargs: Mapping[str, Any]) -> Optional[StreamSlice]:
    """The stream slice of a `Requester.send_request(*args, **kwargs)` call when (and only when) the call asks for
    the first page of that slice; None for any other call.

    Relies on: `SimpleRetriever._fetch_next_page` (declarative/retrievers/simple_retriever.py) calling
    `requester.send_request(stream_slice=..., next_page_token=..., ...)` by keyword, with `next_page_token=None`
    for a slice's first page (the Stripe paginator has no initial token) and a token for every later page.
    Why: a requester cannot otherwise tell a first page from a later one; the CDK has no hook to supply a page
    it already holds. A call that does not name both arguments is never taken for a first page, so a CDK that
    changed them would send every request over HTTP (and unit_tests/test_cdk_seams.py would fail) rather than
    serve a page for the wrong request.
    """
    if args:  # not how SimpleRetriever calls it; positional arguments follow Requester.send_request's order
        kwargs = {**dict(zip(_send_request_parameters(), args)), **kwargs}
    if PAGE_TOKEN_ARGUMENT not in kwargs or kwargs[PAGE_TOKEN_ARGUMENT] is not None:
        return None
    return kwargs.get(SLICE_ARGUMENT)


# --------------------------------------------------------------------------------------------------------------------
# Output: the stream the CDK's PrintBuffer writes to.
# --------------------------------------------------------------------------------------------------------------------
def route_cdk_print_buffer(wrap: Callable[[TextIO], TextIO]) -> None:
    """Makes everything the CDK's PrintBuffer flushes go through `wrap(the stream it writes to)`. `wrap` receives
    the current stream and may return it unchanged (so that routing twice can be a no-op).

    Relies on: `PrintBuffer.flush` (airbyte_cdk/utils/print_buffer.py) writing to `sys.__stdout__` directly, not
    to `sys.stdout`. PrintBuffer is the stream of the CDK's log handler (`airbyte_cdk.logger.PRINT_BUFFER`) and
    `launch` prints every message through it.
    Why: PrintBuffer takes no output stream, and `launch` and `init_logger` install it themselves.
    """
    stream = sys.__stdout__
    if stream is not None:
        sys.__stdout__ = wrap(stream)  # type: ignore[misc]


# --------------------------------------------------------------------------------------------------------------------
# Connect reads: the windows a ConcurrentCursor would read, and the factory's message repository.
# --------------------------------------------------------------------------------------------------------------------
def window_bounds(cursor: ConcurrentCursor) -> Tuple[int, int, int, int]:
    """(start, end, step, lookback) of `cursor`'s windows in epoch seconds, as the manifest's DatetimeBasedCursor
    defines them: its `start_datetime`, its `end_datetime` evaluated now, its `step` (a very large step when it has
    none) and its `lookback_window` (0 when it has none).

    Relies on: `ConcurrentCursor._start`, `_end_provider`, `_slice_range` and `_lookback_window`
    (streams/concurrent/cursor.py), set by its `__init__` from the factory's evaluation of the manifest.
    Why: source_stripe/accounts/cursors.py cuts each account's windows itself (one integer cursor per account,
    not one ConcurrentCursor per account); the factory's evaluation of the manifest (Jinja, config, formats) is the
    one way to get the same windows, and the cursor exposes none of them.
    """
    start = cursor._start
    end = cursor._end_provider()
    step = cursor._slice_range
    lookback = cursor._lookback_window
    return (
        int(start.timestamp()) if start is not None else 0,
        int(end.timestamp()),
        int(step.total_seconds()) if step is not None else 2**40,
        int(lookback.total_seconds()) if lookback is not None else 0,
    )


def factory_message_repository(factory: ModelToComponentFactory) -> Any:
    """The message repository of the source `factory` belongs to (where the CDK's cursors emit their state).

    Relies on: `ModelToComponentFactory._message_repository` (parsers/model_to_component_factory.py), set by its
    `__init__` to the source's repository and given to every cursor it builds.
    Why: a cursor the factory builds through our override (source_stripe/accounts/cursors.py) must emit its state
    where the CDK's cursors do; the factory passes the repository to its own cursors only.
    """
    return factory._message_repository


# --------------------------------------------------------------------------------------------------------------------
# The hot path of a read: the queue of records between the threads, the serialisation of messages.
# --------------------------------------------------------------------------------------------------------------------
def bound_record_queue(source: ConcurrentDeclarativeSource, maxsize: int) -> None:
    """Lets at most `maxsize` items (records, mostly) wait between the CDK's worker threads and the main thread that
    writes them: a worker puts its next record once the main thread has taken one.

    Relies on: `ConcurrentDeclarativeSource._concurrent_source` (concurrent_declarative_source.py), the
    ConcurrentSource its `__init__` builds with the `queue.Queue(maxsize=10_000)` every partition reader puts its
    records on, kept as `ConcurrentSource._queue` (concurrent_source/concurrent_source.py). `Queue.put` reads
    `maxsize` on every call, so setting it before the read is enough.
    Why: the CDK takes no queue size. Its 10,000 records (about 14 kB of Python objects each) are most of a read's
    memory when the pages come faster than the main thread writes them (a fast API, a warm cache), and the garbage
    collector traverses them again and again. The main thread never blocks on a full queue (the CDK's
    ConcurrentMessageRepository buffers what the main thread emits), so a smaller bound cannot deadlock.
    """
    source._concurrent_source._queue.maxsize = maxsize


_CDK_MESSAGE_TO_STRING: Optional[Callable[[Any], str]] = None


def cdk_message_to_string() -> Callable[[Any], str]:
    """The CDK's own `AirbyteEntrypoint.airbyte_message_to_string`, even after `serialize_messages_with`."""
    from airbyte_cdk.entrypoint import AirbyteEntrypoint

    return _CDK_MESSAGE_TO_STRING or AirbyteEntrypoint.airbyte_message_to_string


def serialize_messages_with(to_string: Callable[[Any], str]) -> None:
    """Makes the CDK's entrypoint turn every message it outputs into its line with `to_string` (an AirbyteMessage to
    its JSON, without newline), in this process, from now on. `to_string` may call `cdk_message_to_string()`.

    Relies on: `AirbyteEntrypoint.run` (entrypoint.py) serialising each message of spec, check, discover and read
    through the class attribute `AirbyteEntrypoint.airbyte_message_to_string` (a staticmethod), looked up when it
    runs.
    Why: the entrypoint takes no serializer, and its one is generic: serpyco_rs walks every value of a record's
    data before orjson walks it again, about as costly as the JSON encoding itself.
    """
    global _CDK_MESSAGE_TO_STRING
    from airbyte_cdk.entrypoint import AirbyteEntrypoint

    if _CDK_MESSAGE_TO_STRING is None:
        _CDK_MESSAGE_TO_STRING = AirbyteEntrypoint.airbyte_message_to_string
    AirbyteEntrypoint.airbyte_message_to_string = staticmethod(to_string)  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------------------------------
# Start-up: the CDK's protocol serializers.
# --------------------------------------------------------------------------------------------------------------------
SERPYCO_DOC_LOOKUPS = ("serpyco_rs._describe", "serpyco_rs._json_schema._convert")


def _no_field_docs(cls: Any) -> Dict[str, str]:
    return {}


@contextmanager
def serializers_without_field_docs() -> Iterator[None]:
    """While on, the serpyco_rs Serializers built (the CDK builds its protocol serializers when `airbyte_cdk.models`
    is first imported) leave out the fields' docstrings, which serve only as descriptions in their JSON schemas. To
    take effect it must wrap the first import of airbyte_cdk (source_stripe/__init__.py).

    Relies on: serpyco_rs's `_describe` and `_json_schema._convert` modules looking up each class's attribute
    docstrings through their module-level name `get_attributes_doc` (attributes_doc's, which reads the class's
    source with `inspect.getsource` and parses it with `ast`), and on nothing but the serializers' JSON schemas
    using them: the CDK never reads those schemas, and encoding and decoding do not use docstrings.
    Why: reading and parsing the source of every protocol model costs ~0.4-0.8 s of every start (a third to a
    half of importing the CDK), i.e. 4-8 µs per record of a 100k-record read; serpyco has no option to skip it.
    """
    import importlib

    modules = [importlib.import_module(name) for name in SERPYCO_DOC_LOOKUPS]
    originals = [module.get_attributes_doc for module in modules]
    for module in modules:
        module.get_attributes_doc = _no_field_docs
    try:
        yield
    finally:
        for module, original in zip(modules, originals):
            module.get_attributes_doc = original


# --------------------------------------------------------------------------------------------------------------------
# Per request: the manifest's templates that depend on the config and parameters only, the CDK's connection pools.
# --------------------------------------------------------------------------------------------------------------------
# Names a template may read and still give the same value on every request: the config, the component's parameters,
# and the CDK's macros that only compute from their arguments (not `now_utc`, `today_utc`, `generate_uuid`, ...).
STATIC_TEMPLATE_NAMES = frozenset({"config", "parameters", "dict", "min", "max", "format_datetime", "str_to_datetime"})
REMEMBERED_TEMPLATES_MAX = 4096  # (template, config, parameters) triples; continuous mode makes a config per poll
_REMEMBERED = "__source_stripe_remembered__"


@lru_cache(maxsize=None)
def is_static_template(template: str) -> bool:
    """True when `template` renders the same for the same config and parameters: every name it reads is one of
    STATIC_TEMPLATE_NAMES (a plain string reads none)."""
    import jinja2
    from jinja2 import nodes

    try:
        parsed = jinja2.Environment().parse(template)
    except jinja2.TemplateError:
        return False
    return all(name.name in STATIC_TEMPLATE_NAMES for name in parsed.find_all(nodes.Name) if name.ctx == "load")


def _fresh(value: Any) -> Any:
    """A remembered value as the caller may use it: containers copied, since a caller may change what it gets."""
    from copy import deepcopy

    return deepcopy(value) if isinstance(value, (dict, list, set)) else value


def remember_static_templates() -> None:
    """Makes the CDK's Jinja interpolation render each template that depends only on the config and the parameters
    (`is_static_template`) once per (config, parameters) pair of objects, in this process, from now on. Idempotent.

    Relies on: `JinjaInterpolation.eval(input_str, config, default, valid_types, **additional_parameters)`
    (declarative/interpolation/jinja.py) being what every InterpolatedString, InterpolatedMapping and
    InterpolatedBoolean of a component calls on each use, with the same config object and the component's own
    `parameters` mapping each time, and its result depending only on the names the template reads.
    Why: the CDK renders every template on every request (the requester's `url_base`, its headers, its
    `request_parameters`, the bearer token, twice) and `ast.literal_eval`s the result: ~0.5 ms of CPU a request,
    5 µs a record, most of it for templates whose value cannot change during a read. The CDK offers no way to
    pre-render them, and the manifest cannot hold their values (the token is one).
    """
    from airbyte_cdk.sources.declarative.interpolation.jinja import JinjaInterpolation

    if getattr(JinjaInterpolation.eval, _REMEMBERED, False):
        return
    render = JinjaInterpolation.eval
    remembered: Dict[Tuple[Any, ...], Tuple[Any, Any, Any]] = {}

    def eval(self: Any, input_str: str, config: Any, default: Optional[str] = None,
             valid_types: Optional[Tuple[type, ...]] = None, **additional: Any) -> Any:
        if not (isinstance(input_str, str) and is_static_template(input_str)) or (
            default is not None and not is_static_template(default)
        ):
            return render(self, input_str, config, default, valid_types, **additional)
        parameters = additional.get("parameters")
        key = (input_str, default, valid_types, id(config), id(parameters))
        hit = remembered.get(key)
        if hit is not None and hit[0] is config and hit[1] is parameters:
            return _fresh(hit[2])
        value = render(self, input_str, config, default, valid_types, **additional)
        if len(remembered) >= REMEMBERED_TEMPLATES_MAX:
            remembered.clear()
        remembered[key] = (config, parameters, value)  # holding both keeps their ids from being reused
        return _fresh(value)

    setattr(eval, _REMEMBERED, True)
    JinjaInterpolation.eval = eval  # type: ignore[method-assign]


def size_cdk_connection_pools(connections: int) -> None:
    """Makes every HttpClient the CDK builds from now on keep up to `connections` connections to Stripe open.

    Relies on: `HttpClient.__init__` (streams/http/http_client.py) mounting its `https://` adapter with the module
    name `MAX_CONNECTION_POOL_SIZE` (40) that it imported from airbyte_cdk/sources/http_config.py, read when each
    client is built.
    Why: the gate lets up to 64 requests of one stream be in flight (source_stripe/concurrency.py); each one beyond
    the pool's size opens a new connection (a TLS handshake: CPU and a round trip) and drops it after its response.
    The CDK takes no pool size.
    """
    from airbyte_cdk.sources.streams.http import http_client

    http_client.MAX_CONNECTION_POOL_SIZE = connections  # type: ignore[attr-defined]
