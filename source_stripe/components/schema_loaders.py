"""JSON schemas shipped with the connector."""

from __future__ import annotations

from dataclasses import InitVar, dataclass
from typing import Any, Mapping

import orjson
from airbyte_cdk.sources.declarative.schema.schema_loader import SchemaLoader

from source_stripe.bundle import schema_path


# Every record's account (components/transformations.py `AccountIdTransformation`), in every stream's schema.
ACCOUNT_ID = "account_id"
ACCOUNT_ID_SCHEMA = {"type": ["null", "string"], "description": "The Stripe account the object belongs to (acct_…)."}


@dataclass
class BundledSchemaLoader(SchemaLoader):
    """Loads `schemas/<stream name>.json` from the repository or the installed package, with `account_id` added.

    The CDK's `JsonFileSchemaLoader` only finds files inside a Python package; our schemas live at the top of the
    repository (and are copied into the wheel as `source_stripe/schemas`), so this looks in both places.

        schema_loader:
          type: CustomSchemaLoader
          class_name: source_stripe.components.schema_loaders.BundledSchemaLoader
    """

    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._name = str(parameters["name"])

    def get_json_schema(self) -> Mapping[str, Any]:
        schema = orjson.loads(schema_path(self._name).read_bytes())
        schema.setdefault("properties", {}).setdefault(ACCOUNT_ID, ACCOUNT_ID_SCHEMA)
        return schema  # type: ignore[no-any-return]
