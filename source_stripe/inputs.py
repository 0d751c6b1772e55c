"""Reading the JSON files the protocol passes (config, catalog, state) with messages a user can act on."""

from __future__ import annotations

from typing import Any, List

import orjson


class InputError(ValueError):
    """An input file is missing or malformed; the message names it and says what is wrong."""


def read_json_file(path: str, what: str) -> Any:
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        raise InputError(f"cannot read the {what} file {path!r}: {error.strerror}") from None
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise InputError(f"the {what} file {path!r} is not valid JSON: {error}") from None
    if what in ("config", "catalog") and not isinstance(parsed, dict):
        raise InputError(f"the {what} file {path!r} must hold a JSON object")
    return parsed


def parse_state(raw: Any) -> List[Any]:
    """Airbyte state messages as the CDK wants them: a list of AirbyteStateMessage."""
    from airbyte_cdk.models import AirbyteStateMessageSerializer

    if raw in (None, {}, []):
        return []
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise InputError("the state file must hold a list of Airbyte state messages")
    return [AirbyteStateMessageSerializer.load(message) for message in raw]
