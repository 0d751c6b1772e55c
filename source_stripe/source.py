"""The declarative source, plus what the manifest cannot do: config normalisation and a precise `check`."""

from __future__ import annotations

import logging
import time
from typing import Any, Dict, Iterator, List, Mapping, MutableMapping, Optional, Set

from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStateType,
    ConfiguredAirbyteCatalog,
    Status,
    SyncMode,
)
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

from source_stripe.bundle import manifest_path
from source_stripe.checkpoints import EventCursorCheckpoints
from source_stripe.components.factory import StripeComponentFactory
from source_stripe.config import ConfigError, normalize_config, validate_config
from source_stripe.probe import probe_connection
from source_stripe.retention import retention_periods, stale_cursor_message, stale_cursors, stream_states
from source_stripe.state import backfill_started, cursor_fields, normalize_input_state


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
        self._cursor_fields = cursor_fields(self.resolved_manifest)
        self._periods = retention_periods(self.resolved_manifest)
        self._state = self._normalize_state(state)
        self._backfills = self._resume_backfills(self._state)

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

    def _normalize_state(self, state: Optional[List[AirbyteStateMessage]]) -> Optional[List[AirbyteStateMessage]]:
        """Flattens the given state (integer cursors, Airbyte 5.x shapes) into what the CDK's cursors read, in the
        state manager the streams are built from."""
        normalized = normalize_input_state(state, self._cursor_fields)
        kept = {
            message.stream.stream_descriptor.name: message.stream
            for message in normalized or []
            if message.type == AirbyteStateType.STREAM and message.stream
        }
        for message in state or []:
            if message.type == AirbyteStateType.STREAM and message.stream:
                descriptor = message.stream.stream_descriptor
                stream = kept.get(descriptor.name)
                blob = dict(vars(stream.stream_state)) if stream and stream.stream_state else {}
                self._connector_state_manager.update_state_for_stream(descriptor.name, descriptor.namespace, blob)
        return normalized

    def _resume_backfills(self, state: Optional[List[AirbyteStateMessage]]) -> Dict[str, int]:
        """{stream: backfill start} for each object stream whose state is an interrupted first read: its
        StateDelegatingStream is replaced by its list path, which resumes from the state's cursor."""
        backfills = {
            name: started
            for name, blob in stream_states(state).items()
            if (started := backfill_started(blob)) is not None
        }
        streams = self._source_config["streams"]
        for index, stream in enumerate(streams):
            name = stream.get("name") or (stream.get("$parameters") or {}).get("name")
            if name in backfills and stream.get("type") == "StateDelegatingStream":
                streams[index] = stream["full_refresh_stream"]
        return backfills

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
        """Reads, with a WARN for each selected stream whose cursor is past Stripe's event retention (the CDK then
        resets its state and re-reads the list), and the state of the streams read through events written by
        `EventCursorCheckpoints`."""
        started = int(time.time())
        selected = [configured.stream.name for configured in catalog.streams]
        state = normalize_input_state(state, self._cursor_fields)
        states = stream_states(state)
        stale = stale_cursors(self._periods, {n: s for n, s in states.items() if n not in self._backfills}, selected)
        for name, cursor, period in stale:
            logger.warning(stale_cursor_message(name, cursor, period))
        re_listed = {name for name, _cursor, _period in stale}
        backfills = {name: started for name in self._periods if name not in states or name in re_listed}
        backfills.update(self._backfills)
        checkpoints = EventCursorCheckpoints(
            streams=self._periods, started=started, backfills=backfills, re_listed=re_listed
        )
        yield from checkpoints.rewrite(super().read(logger, config, catalog, state))

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        """The CDK's catalog, plus `incremental` on `updated` for the child streams whose first (full-refresh) read has
        no cursor of its own: the CDK describes a StateDelegatingStream by its full-refresh path alone."""
        catalog = super().discover(logger, config)
        for stream in catalog.streams:
            field = self._cursor_fields.get(stream.name)
            if field and SyncMode.incremental not in stream.supported_sync_modes:
                stream.supported_sync_modes = [*stream.supported_sync_modes, SyncMode.incremental]
                stream.source_defined_cursor = True
                stream.default_cursor_field = [field]
        return catalog

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
