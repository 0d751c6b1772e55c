"""Entry point: `source-stripe <spec|check|discover|read> …` and `python main.py …`.

Besides launching the CDK it guarantees three things users rely on:
- a bad config or argument gets one clear message (an Airbyte TRACE error on stdout, a line on stderr) and exit 1,
  never a traceback wall;
- no Stripe key appears in any output, not even the masked copies (`sk_test_****abcd`) Stripe puts in its errors;
- a failed sync exits non-zero.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Dict, List, Optional

import orjson

from source_stripe.concurrency import AUTO_CEILING
from source_stripe.continuous import poll_settings
from source_stripe.process_tuning import (
    CollectorSettings,
    ConnectionPools,
    EnvironmentProxies,
    MallocArenas,
    ResponseBodyReads,
)
from source_stripe.redaction import install_output_redaction

COMMANDS_WITH_CONFIG = ("check", "discover", "read")
GIL_SWITCH_INTERVAL_SECONDS = 0.05
# Records waiting between the CDK's worker threads and the main thread (10 pages): enough to keep the main thread
# busy, few enough that a fast API does not fill memory with them (the CDK's 10,000 are ~110 MB).
RECORD_QUEUE_SIZE = 1_000


def _trace_error(message: str) -> str:
    trace = {
        "type": "TRACE",
        "trace": {
            "type": "ERROR",
            "emitted_at": int(time.time() * 1000),
            "error": {"message": message, "failure_type": "config_error"},
        },
    }
    return orjson.dumps(trace).decode()


def _connection_failed(message: str) -> str:
    return orjson.dumps({"type": "CONNECTION_STATUS", "connectionStatus": {"status": "FAILED", "message": message}}).decode()


def _option(args: List[str], name: str) -> Optional[str]:
    for index, arg in enumerate(args):
        if arg == name and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _fail(command: str, message: str) -> int:
    print(_connection_failed(message) if command == "check" else _trace_error(message), flush=True)
    print(f"source-stripe: {message}", file=sys.stderr, flush=True)
    return 0 if command == "check" else 1


def _load_inputs(command: str, args: List[str]):
    """Reads and validates config, catalog and state before the CDK sees them. Raises InputError."""
    from source_stripe.config import ConfigError, normalize_config, validate_config
    from source_stripe.inputs import InputError, read_json_file

    config_path = _option(args, "--config")
    if not config_path:
        raise InputError(f"'{command}' needs --config <path to a JSON config file>")
    config = normalize_config(read_json_file(config_path, "config"))
    # Before the CDK's own check against the spec, whose messages do not name the field; `check` reports the
    # problem as a FAILED connection status (`_fail`).
    try:
        validate_config(config)
    except ConfigError as error:
        raise InputError(str(error)) from None
    catalog = state = None
    if command == "read":
        catalog_path = _option(args, "--catalog")
        if not catalog_path:
            raise InputError("'read' needs --catalog <path to a configured catalog JSON file>")
        catalog = read_json_file(catalog_path, "catalog")
        state_path = _option(args, "--state")
        state = read_json_file(state_path, "state") if state_path else None
    return config, catalog, state


def run(args: Optional[List[str]] = None) -> int:
    # Before any worker thread starts (source_stripe/process_tuning.py: about a third less CPU and ~100 MB less peak
    # RSS on a fast read).
    CollectorSettings.for_streaming()
    MallocArenas.limit()
    ResponseBodyReads.in_large_chunks()
    # Per request (source_stripe/process_tuning.py): a connection kept open for every request the gate lets through,
    # the environment's proxies looked up once per host.
    ConnectionPools.hold(AUTO_CEILING)
    EnvironmentProxies.once_per_host()
    install_output_redaction()
    args = list(sys.argv[1:] if args is None else args)
    command = args[0] if args else ""
    if command not in ("spec",) + COMMANDS_WITH_CONFIG:
        print(
            "usage: source-stripe {spec|check|discover|read} [--config CONFIG] [--catalog CATALOG] [--state STATE]",
            file=sys.stderr,
        )
        return 2

    from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer

    from source_stripe.cdk_seams import bound_record_queue, remember_static_templates, serialize_messages_with
    from source_stripe.inputs import InputError, parse_state
    from source_stripe.message_lines import MessageLines
    from source_stripe.source import SourceStripe

    try:
        config, catalog, state = _load_inputs(command, args) if command != "spec" else (None, None, None)
        source = SourceStripe(
            catalog=ConfiguredAirbyteCatalogSerializer.load(catalog) if catalog else None,
            config=config,
            state=parse_state(state) if state is not None else None,
        )
    except InputError as error:
        return _fail(command, str(error))
    except Exception as error:  # a malformed catalog or state the CDK's models reject
        return _fail(command, f"Invalid input: {type(error).__name__}: {str(error).splitlines()[0][:300]}")

    bound_record_queue(source, RECORD_QUEUE_SIZE)
    serialize_messages_with(MessageLines())
    # The manifest's templates that read only the config and parameters (url_base, Stripe-Version, the token, most
    # request parameters) rendered once, not on every request.
    remember_static_templates()
    CollectorSettings.freeze_startup()
    # Every request this process sends passes one gate: requests in flight adapted to Stripe's limiters, or capped
    # by a number in `num_workers` (source_stripe/concurrency.py).
    if config is not None:
        from source_stripe.concurrency import install_request_gate

        install_request_gate(config)
    # The read is one main thread serialising records and up to `num_workers` threads parsing pages, all under the
    # GIL. With the default 5 ms switch interval, a fast API (or a warm cache) makes them hand the GIL back and forth
    # per record: a 100k-record read at zero latency spent ~25 % more CPU with 10 workers than with one. At 50 ms,
    # threads mostly switch when they wait on the network, as they do against Stripe anyway.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
    try:
        if command == "read" and poll_settings(config or {}):
            return _read_continuously(config, catalog, state)
        _launch(source, args)
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        # Stream-level errors were emitted as TRACE messages during the sync; emit the final one, then one line on
        # stderr. No Python traceback is printed.
        from airbyte_cdk.models import AirbyteMessageSerializer
        from airbyte_cdk.utils.traced_exception import AirbyteTracedException

        traced = error if isinstance(error, AirbyteTracedException) else AirbyteTracedException.from_exception(error)
        print(orjson.dumps(AirbyteMessageSerializer.dump(traced.as_sanitized_airbyte_message())).decode(), flush=True)
        message = traced.message or str(error).splitlines()[0]
        print(f"source-stripe: sync failed: {message}", file=sys.stderr, flush=True)
        return 1
    return 0


def _launch(source: Any, args: List[str]) -> None:
    """The CDK's `launch`, except that each message is one write to the CDK's PrintBuffer (`print` makes two: the
    line, then its empty `end`), each taking the buffer's lock."""
    from airbyte_cdk.entrypoint import AirbyteEntrypoint
    from airbyte_cdk.logger import PRINT_BUFFER

    entrypoint = AirbyteEntrypoint(source)
    parsed_args = entrypoint.parse_args(args)
    with PRINT_BUFFER:
        write = PRINT_BUFFER.write
        for line in entrypoint.run(parsed_args):
            write(f"{line}\n")


class QuietLogs:
    """Leaves the CDK's INFO logs out while on (continuous mode's later polls): WARN and ERROR stay. The CDK logs
    through loggers under `airbyte`, whose handlers its entrypoint sets up again for each read, so the level of the
    `airbyte` logger is what is changed."""

    @staticmethod
    def set(on: bool) -> None:
        import logging

        logging.getLogger("airbyte").setLevel(logging.WARNING if on else logging.INFO)


def _read_continuously(config: Dict[str, Any], catalog_json: Any, state_json: Any) -> int:
    """`read` in continuous mode (source_stripe/continuous.py): polls until SIGTERM/SIGINT or `max_run_minutes`."""
    import os
    import signal
    import tempfile
    import threading

    from airbyte_cdk.entrypoint import AirbyteEntrypoint
    from airbyte_cdk.logger import PRINT_BUFFER
    from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer
    from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH

    from source_stripe.cdk_seams import bound_record_queue
    from source_stripe.continuous import ContinuousRead
    from source_stripe.events_plan import event_readers
    from source_stripe.manifest import resolved_manifest
    from source_stripe.inputs import parse_state
    from source_stripe.source import SourceStripe

    stop = threading.Event()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signal_number, lambda *_: stop.set())

    def read_once(catalog, state, served_before, served_now):
        source = SourceStripe(catalog=catalog, config=config, state=state, served_events=served_before)
        bound_record_queue(source, RECORD_QUEUE_SIZE)
        entrypoint = AirbyteEntrypoint(source)
        yield from entrypoint.read(source.spec(entrypoint.logger), config, catalog, state)
        served = source.served_now()
        if served is not None:
            served_now.merge(served)

    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as cache_dir:
        os.environ.setdefault(ENV_REQUEST_CACHE_PATH, cache_dir)
        runner = ContinuousRead(
            catalog=ConfiguredAirbyteCatalogSerializer.load(catalog_json),
            state=parse_state(state_json) if state_json is not None else None,
            read_once=read_once,
            stop=stop,
            flush=PRINT_BUFFER.flush,
            event_streams=event_readers(resolved_manifest()),
            quiet=QuietLogs.set,
            **poll_settings(config),  # type: ignore[arg-type]
        )
        with PRINT_BUFFER:
            for message in runner.messages():
                print(f"{AirbyteEntrypoint.airbyte_message_to_string(message)}\n", end="")
        if runner.abandoned:  # the stopped poll's threads may still be reading: leave without waiting for them
            PRINT_BUFFER.flush()
            sys.stderr.flush()
            os._exit(runner.exit_code)
    return runner.exit_code


def main() -> None:
    sys.exit(run())


if __name__ == "__main__":
    main()
