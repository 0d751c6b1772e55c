"""The declarative source, plus what the manifest cannot do: config normalisation and a precise `check`."""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, Iterator, List, Mapping, MutableMapping, Optional, Set

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStreamStatus,
    ConfiguredAirbyteCatalog,
    Status,
    TraceType,
    Type,
)
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

from source_stripe.bundle import manifest_path
from source_stripe.components.factory import StripeComponentFactory
from source_stripe.config import ConfigError, normalize_config, validate_config
from source_stripe.probe import probe_connection
from source_stripe.retention import (
    cursor_of,
    read_start_state,
    retention_periods,
    stale_cursor_message,
    stale_cursors,
    stream_states,
)


class SourceStripe(YamlDeclarativeSource):
    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[List[AirbyteStateMessage]] = None,
    ) -> None:
        super().__init__(
            path_to_yaml=str(manifest_path()),
            catalog=catalog,
            config=normalize_config(config) if config else config,
            state=state,
        )
        StripeComponentFactory.adopt(self._constructor)  # density windows (manifest: `window_pages`)
        # A read builds only the streams its catalog selects (building all 54 costs ~0.35 s of start-up).
        self._selected_stream_names: Optional[Set[str]] = (
            {configured.stream.name for configured in catalog.streams} if catalog and catalog.streams else None
        )

    def _stream_configs(self, manifest: Mapping[str, Any]) -> List[Dict[str, Any]]:
        """The manifest's streams, only those of the catalog when the source was made for a read. Children carry
        their parent stream inline, so a selected child still has its parent."""
        configs = super()._stream_configs(manifest)
        if self._selected_stream_names is None:
            return configs
        return [config for config in configs if config.get("name") in self._selected_stream_names]

    def _validate_source(self) -> None:
        """The bundled manifest is validated against the CDK's schema by the tests
        (unit_tests/test_manifest_schema.py), not on every start (~0.15 s)."""

    def read_config(self, config_path: str) -> MutableMapping[str, Any]:
        """Every command sees the normalised config (Airbyte's `client_secret` copied into `credentials`)."""
        return normalize_config(super().read_config(config_path))

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: Optional[List[AirbyteStateMessage]] = None,
    ) -> Iterator[AirbyteMessage]:
        """Reads, with two additions for the object streams read through events:

        - a WARN for each selected stream whose cursor is past Stripe's event retention (the CDK then resets its
          state and re-reads the list);
        - when such a stream completes, its cursor moves up to the time this read started if it is behind it. The
          CDK's cursor is the newest `updated` it saw, which for a quiet stream stays at the last change (or the
          start date) and would soon fall out of the retention, forcing a full re-read on every sync. Everything up
          to the read's start has been read (the list is read after it; the events up to now), so it is safe.
        """
        started = int(time.time())
        periods = retention_periods(self.resolved_manifest)
        selected = [configured.stream.name for configured in catalog.streams]
        for name, cursor, period in stale_cursors(periods, stream_states(state), selected):
            logger.warning(stale_cursor_message(name, cursor, period))
        cursors: Dict[str, Optional[float]] = {}
        completed: Set[str] = set()
        for message in super().read(logger, config, catalog, state):
            if message.type == Type.STATE and message.state and message.state.stream:
                name = message.state.stream.stream_descriptor.name
                if name in completed and (cursor_of(message.state.stream.stream_state) or 0) < started:
                    # The CDK repeats its final state after the stream's COMPLETE status.
                    message = read_start_state(name, started)
                elif name in periods:
                    cursors[name] = cursor_of(message.state.stream.stream_state)
            elif (
                message.type == Type.TRACE
                and message.trace.type == TraceType.STREAM_STATUS
                and message.trace.stream_status.status == AirbyteStreamStatus.COMPLETE
            ):
                name = message.trace.stream_status.stream_descriptor.name
                if name in periods:
                    completed.add(name)
                    if (cursors.get(name) or 0) < started:
                        yield read_start_state(name, started)
            yield message

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """Validates the config, then asks Stripe once, without retries, so a bad key or an unreachable host gets a
        precise answer at once; then the manifest's own check (reading the `events` stream)."""
        try:
            validate_config(config)
        except ConfigError as error:
            return AirbyteConnectionStatus(status=Status.FAILED, message=str(error))
        problem = probe_connection(config)
        if problem:
            return AirbyteConnectionStatus(status=Status.FAILED, message=problem)
        return super().check(logger, config)
