"""The CDK's component factory, plus density windows for the cursors that ask for them in the manifest."""

from __future__ import annotations

from typing import Any, Mapping

from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor

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
    """

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
        cursor = kwargs.get("cursor")
        if isinstance(cursor, DensityWindowCursor) and hasattr(component, "bind_windows"):
            component.bind_windows(cursor)  # a custom retriever that probes its own requests (parent lists, events)
        return component

    def create_simple_retriever(self, model: Any, config: Any, **kwargs: Any) -> Any:
        retriever = super().create_simple_retriever(model, config, **kwargs)
        cursor = kwargs.get("cursor")
        if isinstance(cursor, DensityWindowCursor):
            cursor.bind(retriever)
        return retriever
