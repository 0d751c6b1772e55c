"""The declarative source, plus what the manifest cannot do: config normalisation and a precise `check`."""

from __future__ import annotations

import logging
from typing import Any, List, Mapping, MutableMapping, Optional

from airbyte_cdk.models import AirbyteConnectionStatus, AirbyteStateMessage, ConfiguredAirbyteCatalog, Status
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

from source_stripe.bundle import manifest_path
from source_stripe.config import ConfigError, normalize_config, validate_config
from source_stripe.probe import probe_connection


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

    def read_config(self, config_path: str) -> MutableMapping[str, Any]:
        """Every command sees the normalised config (Airbyte's `client_secret` copied into `credentials`)."""
        return normalize_config(super().read_config(config_path))

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
