"""The CDK's component factory, plus density windows for the cursors that ask for them in the manifest."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor

from source_stripe.accounts.cursors import EVENTS, LIST, ONLY, AccountWindows, WindowPlan
from source_stripe.accounts.directory import AccountDirectory
from source_stripe.accounts.events import AccountPassServedRequester, PassReader
from source_stripe.accounts.read import ConnectRead
from source_stripe.accounts.router import AccountPartitionRouter
from source_stripe.accounts.streams import account_path_stream
from source_stripe.cdk_seams import factory_message_repository, slice_boundary_fields, window_bounds
from source_stripe.components.events_pass import EventsPass, PassServedRequester
from source_stripe.components.windows import DensityWindowCursor
from source_stripe.concurrency import pool_size


def workers_of(config: Mapping[str, Any]) -> int:
    """The CDK's threads as the manifest's concurrency_level reads them: `num_workers` (at most 50), or the auto
    ceiling (source_stripe/concurrency.py): the density windows are cut for that many, and probed as many at once."""
    return pool_size(config)


class StripeComponentFactory(ModelToComponentFactory):
    """ModelToComponentFactory, except that a DatetimeBasedCursor with `$parameters: {window_pages: N}` (N > 0)
    becomes a DensityWindowCursor: its history is read as windows of about N pages, many at once.

    The concurrent engine builds cursors inside the factory (not through CustomIncrementalSync, which it does not
    support), so this is the one place to do it. A source uses it through `cdk_seams.use_component_factory(source,
    StripeComponentFactory)`: the CDK 7.39.1 source takes no factory argument.

    With `events_pass` set (SourceStripe does, for a read), every requester of `/v1/events` a retriever is built with
    asks the pass first (components/events_pass.py).

    With `connect` set (a read with `capture_connected_accounts`), each stream with the AccountPartitionRouter
    (source_stripe/accounts/manifest.py puts it there) gets AccountWindows as its cursor: one compact cursor per
    account; an object stream (a StateDelegatingStream) becomes one stream of both paths, each account on the path
    its cursor calls for; events requests are answered by the passes of their account.

    `directory` (the read's accounts) is given to every component that has one: the account router and the
    `account_id` transformation.
    """

    events_pass: Optional[EventsPass] = None
    connect: Optional[ConnectRead] = None
    directory: Optional[AccountDirectory] = None

    def create_state_delegating_stream(self, model: Any, config: Any, **kwargs: Any) -> Any:
        if self.connect is None:
            return super().create_state_delegating_stream(model, config, **kwargs)
        try:
            self.connect.building_path = LIST
            list_path = self.create_default_stream(model.full_refresh_stream, config=config, **kwargs)
            self.connect.building_path = EVENTS
            events_path = self.create_default_stream(model.incremental_stream, config=config, **kwargs)
        finally:
            self.connect.building_path = ONLY
        both = AccountWindows(events_path.cursor.states, None, events_path.cursor.plan, events_path.cursor.cursor_field)
        return account_path_stream(events_path, list_path, both)

    def create_concurrent_cursor_from_perpartition_cursor(self, *args: Any, **kwargs: Any) -> Any:
        router = kwargs.get("partition_router")
        if self.connect is None or not isinstance(router, AccountPartitionRouter):
            return super().create_concurrent_cursor_from_perpartition_cursor(*args, **kwargs)
        connect = self.connect
        name = str(kwargs["stream_name"])
        state_manager = kwargs["state_manager"]
        template = super().create_concurrent_cursor_from_datetime_based_cursor(
            model_type=kwargs["model_type"],
            component_definition=kwargs["component_definition"],
            stream_name=name,
            stream_namespace=None,
            stream_state={},
            config=kwargs["config"],
        )
        repository = factory_message_repository(self)

        def emit(state: Mapping[str, Any]) -> None:
            state_manager.update_state_for_stream(name, None, state)
            repository.emit_message(state_manager.create_state_message(name, None))

        states = connect.states_of(name, kwargs.get("stream_state") or {}, emit)

        def plan() -> WindowPlan:
            start, end, step, lookback = window_bounds(template)
            return WindowPlan(start=start, end=end, step=step, lookback=lookback, keys=slice_boundary_fields(template))

        windows = AccountWindows(states, connect.building_path, plan, template.cursor_field)
        if connect.building_path == EVENTS or name in connect.reads_all_events:
            connect.readers[name] = PassReader(windows)
        return windows

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
        if hasattr(component, "directory") and getattr(component, "directory", None) is None:
            component.directory = self.directory  # the account router, the `account_id` transformation
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
        if requester is None or requester_path(requester) != "events":
            return requester
        if self.connect is not None and self.connect.passes is not None:
            return AccountPassServedRequester(requester, self.connect.passes, str(getattr(retriever, "name", "") or ""))
        if self.events_pass is None:
            return requester
        return PassServedRequester(requester, self.events_pass, str(getattr(retriever, "name", "") or ""))


def requester_path(requester: Any) -> Optional[str]:
    """The path a requester reads when it does not depend on the slice (`events`), else None."""
    try:
        return str(requester.get_path(stream_state=None, stream_slice=None, next_page_token=None))
    except Exception:  # noqa: BLE001 - a path built from the slice (a child's) is no events path
        return None
