"""The final error of a read in which streams failed, labelled by what failed them.

The CDK ends such a read with "the following streams did not sync successfully" as a `config_error` whatever the
streams' own errors were, which tells users to fix a config that is fine when Stripe was down. `StreamFailures`
watches the read's per-stream error TRACEs and replaces that final error with one whose type follows them:
- `config_error` when any stream failed on the config (bad key, missing permission, a stream the connector does
  not have);
- `transient_error` when every failed stream failed for a transient reason (5xx, 429, connection errors, timeouts);
- `system_error` otherwise.
"""

from __future__ import annotations

from typing import Dict, Iterable, Iterator, Optional

from airbyte_cdk.models import AirbyteMessage, FailureType, TraceType, Type
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

CDK_FINAL_ERROR = "During the sync, the following streams did not sync successfully"

# The more actionable label wins when a stream reports several errors.
_RANK = {FailureType.config_error: 2, FailureType.system_error: 1, FailureType.transient_error: 0}


class StreamFailures:
    """The failure type of each failed stream, from the error TRACEs of a read."""

    def __init__(self, config_errors: Iterable[str] = ()) -> None:
        self.by_stream: Dict[str, FailureType] = {name: FailureType.config_error for name in config_errors}

    def record(self, stream: str, failure_type: Optional[FailureType]) -> None:
        failure_type = failure_type or FailureType.system_error
        known = self.by_stream.get(stream)
        if known is None or _RANK[failure_type] > _RANK[known]:
            self.by_stream[stream] = failure_type

    def watch(self, messages: Iterable[AirbyteMessage]) -> Iterator[AirbyteMessage]:
        """`messages`, unchanged, recording each stream's error TRACE."""
        for message in messages:
            if message.type == Type.TRACE and message.trace.type == TraceType.ERROR and message.trace.error:
                descriptor = message.trace.error.stream_descriptor
                if descriptor is not None and descriptor.name:
                    self.record(descriptor.name, message.trace.error.failure_type)
            yield message

    @property
    def failure_type(self) -> FailureType:
        return max(self.by_stream.values(), key=_RANK.__getitem__)

    def final_error(self) -> AirbyteTracedException:
        names = ", ".join(f"{name} ({kind.value})" for name, kind in sorted(self.by_stream.items()))
        advice = {
            FailureType.config_error: "Fix the config or the catalog as the errors above say.",
            FailureType.transient_error: "Stripe could not be read for now (network, Stripe errors or rate limits); "
            "the next sync resumes from the last state.",
            FailureType.system_error: "See the errors above.",
        }[self.failure_type]
        return AirbyteTracedException(
            message=f"{len(self.by_stream)} stream(s) did not sync: {names}. {advice}",
            failure_type=self.failure_type,
        )

    def replaces(self, error: BaseException) -> bool:
        """Whether `error` is the CDK's summary of the failed streams, which `final_error` replaces."""
        return bool(self.by_stream) and isinstance(error, AirbyteTracedException) and (error.message or "").startswith(
            CDK_FINAL_ERROR
        )
