"""The stdout line of each Airbyte message: RECORD messages encoded straight from their fields, the others by the CDK.

The CDK serialises a message in two passes: serpyco_rs turns the AirbyteMessage dataclass into dicts, walking every
value of the record's data, then orjson encodes the result. For a RECORD whose optional fields are unset (what the
CDK's concurrent read emits) the dict is known: `{"type": "RECORD", "record": {"stream", "data", "emitted_at"}}`,
in that order, None fields left out as the CDK's serializer (`omit_none=True`) leaves them. Encoding it directly with
orjson gives the same bytes for about half the CPU. Every other message, and any record orjson cannot encode (the
CDK then logs a warning and falls back to the standard json module), goes to the CDK's own serializer.

`source_stripe.run` installs it with `cdk_seams.serialize_messages_with(MessageLines())`.
"""

from __future__ import annotations

from typing import Callable, Optional

import orjson
from airbyte_cdk.models import AirbyteMessage, Type

from source_stripe.cdk_seams import cdk_message_to_string


class MessageLines:
    """Callable: an AirbyteMessage to its line (JSON, no newline), as `AirbyteEntrypoint.airbyte_message_to_string`
    writes it."""

    def __init__(self, fallback: Optional[Callable[[AirbyteMessage], str]] = None) -> None:
        self._fallback = fallback

    def __call__(self, message: AirbyteMessage) -> str:
        record = message.record
        if (
            message.type is Type.RECORD
            and record is not None
            and record.namespace is None
            and record.meta is None
            and record.file_reference is None
        ):
            # The CDK's serializer leaves out the data's top-level nulls (not nested ones): so does this.
            data = {key: value for key, value in record.data.items() if value is not None}
            try:
                return orjson.dumps(
                    {"type": "RECORD", "record": {"stream": record.stream, "data": data, "emitted_at": record.emitted_at}}
                ).decode()
            except TypeError:  # orjson.JSONEncodeError: e.g. an integer over 64 bits; the CDK has a fallback
                pass
        return (self._fallback or cdk_message_to_string())(message)
