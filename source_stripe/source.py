"""The declarative source: manifest.yaml read by the CDK, plus what the manifest cannot do.

- The manifest the CDK gets is source_stripe/manifest.py's: children linked to their parents, and for a read only
  the selected streams (a stream resuming an interrupted first read on its list path).
- The config is normalised (source_stripe/config.py) and the state made into flat cursors
  (source_stripe/state/) before the CDK sees either.
- A read's state for the streams read through events is written by `EventCursorCheckpoints`, with a WARN for each
  cursor older than Stripe's event retention.
- `check` validates the config and asks Stripe once before the manifest's own check.
- `discover` with a restricted key (`rk_…`) leaves out the streams Stripe refuses it (source_stripe/permissions.py).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from typing import Any, Dict, Iterator, List, Mapping, MutableMapping, Optional

from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    Status,
    SyncMode,
)
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_stripe.accounts.directory import CAPTURE, AccountDirectory, use_directory
from source_stripe.accounts.events import AccountEventsPasses
from source_stripe.accounts.read import ConnectRead
from source_stripe.cdk_seams import skip_runtime_manifest_validation, use_component_factory
from source_stripe.components.factory import StripeComponentFactory
from source_stripe.config import ConfigError, access_token, normalize_config, validate_config, with_defaults
from source_stripe.components.events_pass import ServedEvents
from source_stripe.connection_check import connection_problem
from source_stripe.failures import StreamFailures
from source_stripe.events_plan import (
    EVENTS_UNTIL,
    PassRequests,
    event_readers,
    events_path_cursors,
    format_until,
    pass_event_types,
    plan_events_pass,
    reads_every_event_type,
)
from source_stripe.manifest import for_read, resolved_manifest, row_name
from source_stripe.permissions import PermissionProbe, RestrictedCatalog, is_restricted_key, probe_targets
from source_stripe.state.checkpoints import EventCursorCheckpoints
from source_stripe.state.cursors import backfill_started
from source_stripe.state.incoming import cursor_fields, normalize_input_state, stream_states
from source_stripe.state.retention import retention_periods, stale_cursor_message, stale_cursors
from source_stripe.unknown_streams import UnknownStreams, connector_streams


@skip_runtime_manifest_validation  # the bundled manifest is validated by unit_tests/test_manifest_schema.py
class SourceStripe(ConcurrentDeclarativeSource):
    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[List[AirbyteStateMessage]] = None,
        served_events: Optional[ServedEvents] = None,
    ) -> None:
        """`served_events`: the events earlier reads of a continuous run answered, per stream (left out of this
        read's events pass)."""
        self.connect = bool((config or {}).get(CAPTURE))
        manifest = resolved_manifest(connect=self.connect)
        self.cursor_fields = cursor_fields(manifest)
        self.retention_periods = retention_periods(manifest)
        # A Connect read keeps each stream's state as it is: its AccountStates read it (source_stripe/accounts/).
        state = state if self.connect else normalize_input_state(state, self.cursor_fields)
        # Streams whose state is an interrupted first read, and when it began: they resume their list.
        self.resumed_backfills: Dict[str, int] = {
            name: started
            for name, blob in stream_states(state).items()
            if not self.connect and (started := backfill_started(blob)) is not None
        }
        # A read builds only the streams its catalog selects (building all 54 costs ~0.35 s of start-up).
        selected = {configured.stream.name for configured in catalog.streams} if catalog and catalog.streams else None
        # Every value the manifest's templates read is set (absent ones from the spec's defaults), even for `spec`.
        config = with_defaults(normalize_config(config or {}), manifest["spec"]["connection_specification"])
        # Every events window of this read ends here, so that one events pass answers them all.
        self.events_until = int(time.time())
        config = {**config, EVENTS_UNTIL: format_until(self.events_until)}
        self.stale_cursors = [] if self.connect else stale_cursors(
            self.retention_periods,
            {name: blob for name, blob in stream_states(state).items() if name not in self.resumed_backfills},
            selected if selected is not None else self.retention_periods,
        )
        list_paths = {*self.resumed_backfills, *(name for name, _cursor, _period in self.stale_cursors)}
        # The streams reading events in this read: those with a cursor within the events' retention.
        on_events = {} if self.connect else events_path_cursors(
            stream_states(state), event_readers(manifest), selected or (), list_paths
        )
        # A stale cursor stays a StateDelegatingStream: the CDK resets its state and reads the list from start_date.
        read_manifest = for_read(manifest, selected, list_paths=self.resumed_backfills, event_paths=on_events)
        super().__init__(
            catalog=catalog or ConfiguredAirbyteCatalog(streams=[]),
            config=config,
            state=state or [],
            source_config=read_manifest,
        )
        factory = use_component_factory(self, StripeComponentFactory)  # density windows, the events pass
        # One requester per path (`account`, `accounts`), built on its first request.
        own_requests: Dict[str, PassRequests] = {}

        def fetch(path: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
            if path not in own_requests:
                own_requests[path] = PassRequests(factory, read_manifest, config, path=path)
            return own_requests[path].json(params)

        self.directory = AccountDirectory(
            fetch=fetch,
            capture=self.connect,
            configured_account=config.get("account_id"),
            key=hashlib.sha256(f"{config.get('api_base_url')}|{access_token(config)}".encode()).hexdigest(),
        )
        factory.directory = self.directory
        use_directory(self.directory)
        self.connect_read: Optional[ConnectRead] = None
        if self.connect:
            self.connect_read = self._connect_read(factory, read_manifest, config, served_events)
            factory.connect = self.connect_read
        self.events_pass = None if self.connect else plan_events_pass(
            read_manifest, on_events, int(config["events_overlap_seconds"]), self.events_until, served_events,
            lookback=int(config["lookback_window_days"]) * 86400,
        )
        if self.events_pass is not None:
            factory.events_pass = self.events_pass
            self.events_pass.attach(PassRequests(factory, read_manifest, config))

    def _look_up_platform(self) -> None:
        try:
            self.directory.platform()
        except Exception as error:  # noqa: BLE001 - reported by the streams that need it
            logging.getLogger("airbyte").info(
                f"The platform's account could not be read ({type(error).__name__}); the streams ask again."
            )

    def served_now(self) -> Optional[ServedEvents]:
        """The events this read's events passes answered, per stream (continuous mode leaves them out of the next)."""
        if self.connect_read is not None and self.connect_read.passes is not None:
            return self.connect_read.passes.served_now
        return self.events_pass.served_now if self.events_pass is not None else None

    def _connect_read(
        self,
        factory: StripeComponentFactory,
        manifest: Mapping[str, Any],
        config: Mapping[str, Any],
        served_events: Optional[ServedEvents] = None,
    ) -> ConnectRead:
        """The read of every connected account: the accounts' cursors and one events pass per account."""
        directory = self.directory
        connect = ConnectRead(
            directory=directory,
            retention={name: int(period.total_seconds()) for name, period in self.retention_periods.items()},
            reads_all_events={row_name(stream) for stream in manifest["streams"] if reads_every_event_type(stream)},
            now=self.events_until,
        )
        events = PassRequests(factory, manifest, config)

        def fetch(account: str, params: Mapping[str, Any]) -> Any:
            return events(params, None if account == directory.platform() else account)

        connect.passes = AccountEventsPasses(
            connect.readers, pass_event_types(manifest), self.events_until, fetch, served_before=served_events
        )
        return connect

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
        `EventCursorCheckpoints`.

        A stream the connector does not have is a `config_error` naming the closest real one; the others are read,
        and the read fails at the end. The final error of a read in which streams failed is labelled by what failed
        them (source_stripe/failures.py): `transient_error` when only the network or Stripe did."""
        started = int(time.time())
        # The platform's id for every record's `account_id` (once per process), asked while the streams start: a
        # record waits for it, the streams' first requests do not. When Stripe cannot answer, the streams ask it again
        # and fail one by one with their own errors and last states.
        threading.Thread(target=self._look_up_platform, name="platform", daemon=True).start()
        selected = {configured.stream.name for configured in catalog.streams}
        states = stream_states(normalize_input_state(state, self.cursor_fields))
        resumed = self.resumed_backfills
        stale = [(name, cursor, period) for name, cursor, period in self.stale_cursors if name in selected]
        for name, cursor, period in stale:
            logger.warning(stale_cursor_message(name, cursor, period))
        re_listed = {name for name, _cursor, _period in stale}
        backfills = {name: started for name in self.retention_periods if name not in states or name in re_listed}
        backfills.update(resumed)
        # A Connect read's streams write their accounts' cursors themselves (source_stripe/accounts/cursors.py).
        checkpoints = EventCursorCheckpoints(
            streams=() if self.connect else self.retention_periods, started=started, backfills=backfills, re_listed=re_listed
        )
        config = {**config, EVENTS_UNTIL: format_until(self.events_until)}
        unknown = UnknownStreams.of(catalog, connector_streams())
        yield from unknown.errors()
        failures = StreamFailures(config_errors=unknown.names)
        try:
            yield from failures.watch(checkpoints.rewrite(super().read(logger, config, unknown.without(catalog), state)))
        except AirbyteTracedException as error:
            if not failures.replaces(error):
                raise
            raise failures.final_error() from error
        if unknown.names:
            raise failures.final_error()

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        """The CDK's catalog, plus `incremental` on `updated` for the child streams whose first (full-refresh) read has
        no cursor of its own: the CDK describes a StateDelegatingStream by its full-refresh path alone.

        With a restricted key, each stream's list is probed once (source_stripe/permissions.py) and the streams
        Stripe refuses are left out, with one WARN naming them and the permission Stripe said they need."""
        catalog = super().discover(logger, config)
        for stream in catalog.streams:
            field = self.cursor_fields.get(stream.name)
            if field and SyncMode.incremental not in stream.supported_sync_modes:
                stream.supported_sync_modes = [*stream.supported_sync_modes, SyncMode.incremental]
                stream.source_defined_cursor = True
                stream.default_cursor_field = [field]
        if not is_restricted_key(config):
            return catalog
        manifest = resolved_manifest()
        refusals = PermissionProbe(config).refusals(probe_targets(manifest["streams"]))
        restricted = RestrictedCatalog(refusals, event_readers(manifest))
        warning = restricted.warning({stream.name for stream in catalog.streams})
        if warning:
            logger.warning(warning)
        return restricted.apply(catalog)

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """Validates the config, then asks Stripe once, without retries, so a bad key or an unreachable host gets a
        precise answer at once; then the manifest's own check (reading the `events` stream)."""
        try:
            validate_config(config)
        except ConfigError as error:
            return AirbyteConnectionStatus(status=Status.FAILED, message=str(error))
        problem = connection_problem(config)
        if problem:
            return AirbyteConnectionStatus(status=Status.FAILED, message=problem)
        return super().check(logger, config)
