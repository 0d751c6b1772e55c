"""Streams a configured catalog names that the connector does not have (a typo such as `chargez`, a binding left
after a rename): each is a `config_error` naming it and the closest real name, the other streams are read, and the
read fails at the end (source_stripe/source.py)."""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from typing import Collection, Iterator, List, Optional

from airbyte_cdk.models import AirbyteMessage, ConfiguredAirbyteCatalog, FailureType, StreamDescriptor
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_stripe.manifest import resolved_manifest


@functools.lru_cache(maxsize=1)
def connector_streams() -> frozenset:
    """The names of every stream manifest.yaml declares."""
    return frozenset(stream["$parameters"]["name"] for stream in resolved_manifest()["streams"])


@dataclass(frozen=True)
class UnknownStreams:
    """The names of `catalog` that are none of `known`, in catalog order."""

    names: List[str]
    known: Collection[str]

    @classmethod
    def of(cls, catalog: ConfiguredAirbyteCatalog, known: Collection[str]) -> "UnknownStreams":
        known = frozenset(known)
        return cls([c.stream.name for c in catalog.streams if c.stream.name not in known], known)

    def closest(self, name: str) -> Optional[str]:
        matches = difflib.get_close_matches(name, sorted(self.known), n=1, cutoff=0.6)
        return matches[0] if matches else None

    def message(self, name: str) -> str:
        closest = self.closest(name)
        hint = f" Did you mean '{closest}'?" if closest else ""
        return (
            f"The catalog selects stream '{name}', which this connector does not have.{hint} "
            "Refresh the source's schema (discover) and remove or rename the stream."
        )

    def errors(self) -> Iterator[AirbyteMessage]:
        """One `config_error` TRACE per unknown stream."""
        for name in self.names:
            error = AirbyteTracedException(message=self.message(name), failure_type=FailureType.config_error)
            yield error.as_airbyte_message(stream_descriptor=StreamDescriptor(name=name))

    def without(self, catalog: ConfiguredAirbyteCatalog) -> ConfiguredAirbyteCatalog:
        """`catalog` with its known streams only."""
        unknown = set(self.names)
        return ConfiguredAirbyteCatalog(streams=[c for c in catalog.streams if c.stream.name not in unknown])
