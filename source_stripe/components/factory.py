"""The CDK's component factory, plus density windows for the cursors that ask for them in the manifest."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor

from source_stripe.components.events_pass import EventsPass, PassServedRequester
from source_stripe.components.windows import DensityWindowCursor

DEFAULT_WORKERS = 10
MAX_WORKERS = 50


def workers_of(config: Mapping[str, Any]) -> int:
    """`num_workers` as the manifest's concurrency_level reads it (default 10, at most 50)."""
    try:
        workers = int(config.get("num_workers") or DEFAULT_WORKERS)
    except (TypeError, ValueError):
        workers = DEFAULT_WORKERS
    return max(1, min(MAX_WORKERS, workers))


class StripeComponentFactory(ModelToComponentFactory):
    """ModelToComponentFactory, except that a DatetimeBasedCursor with `$parameters: {window_pages: N}` (N > 0)
    becomes a DensityWindowCursor: its history is read as windows of about N pages, many at once.

    The concurrent engine builds cursors inside the factory (not through CustomIncrementalSync, which it does not
    support), so this is the one place to do it. A source uses it through `cdk_seams.use_component_factory(source,
    StripeComponentFactory)`: the CDK 7.39.1 source takes no factory argument.

    With `events_pass` set (SourceStripe does, for a read), every requester of `/v1/events` a retriever is built with
    asks the pass first (components/events_pass.py).
    """

    events_pass: Optional[EventsPass] = None

    def create_concurrent_cursor_from_datetime_based_cursor(self, *args: Any, **kwargs: Any) -> ConcurrentCursor:
        cursor = super().create_concurrent_cursor_from_datetime_based_cursor(*args, **kwargs)
        definition = kwargs.get("component_definition") or {}
        parameters = definition.get("$parameters") or definition.get("parameters") or {}
        window_pages = int(parameters.get("window_pages") or 0)
        if window_pages > 0 and type(cursor) is ConcurrentCursor:
            config = kwargs.get("config") or {}
            return DensityWindowCursor.from_cursor(cursor, window_pages=window_pages, workers=workers_of(config))
        return cursor

    def create_custom_component(self, model: Any, config: Any, **kwargs: Any) -> Any:
        component = super().create_custom_component(model, config, **kwargs)
        if getattr(component, "parent_requester", None) is not None:
            component.parent_requester = self._served_by_pass(component.parent_requester, component)
        if isinstance(component, SimpleRetriever):  # a custom retriever reading events itself (EventsRetriever)
            component.requester = self._served_by_pass(component.requester, component)
        cursor = kwargs.get("cursor")
        if isinstance(cursor, DensityWindowCursor) and hasattr(component, "bind_windows"):
            component.bind_windows(cursor)  # a custom retriever that probes its own requests (parent lists, events)
        return component

    def create_simple_retriever(self, model: Any, config: Any, **kwargs: Any) -> Any:
        retriever = super().create_simple_retriever(model, config, **kwargs)
        retriever.requester = self._served_by_pass(retriever.requester, retriever)
        cursor = kwargs.get("cursor")
        if isinstance(cursor, DensityWindowCursor):
            cursor.bind(retriever)
        return retriever

    def _served_by_pass(self, requester: Any, retriever: Any) -> Any:
        """`requester`, answered by the events pass first when it reads `/v1/events`."""
        if self.events_pass is None or requester is None or requester_path(requester) != "events":
            return requester
        return PassServedRequester(requester, self.events_pass, str(getattr(retriever, "name", "") or ""))


def requester_path(requester: Any) -> Optional[str]:
    """The path a requester reads when it does not depend on the slice (`events`), else None."""
    try:
        return str(requester.get_path(stream_state=None, stream_slice=None, next_page_token=None))
    except Exception:  # noqa: BLE001 - a path built from the slice (a child's) is no events path
        return None
