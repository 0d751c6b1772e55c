"""message_lines.py: the stdout line of each message is the CDK's own, byte for byte; RECORD messages are encoded
without the CDK's serpyco pass, any other message by the CDK."""

from __future__ import annotations

from typing import Any, Dict, List

import pytest
from airbyte_cdk.models import (
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStreamState,
    Level,
    StreamDescriptor,
    Type,
)
from airbyte_protocol_dataclasses.models import AirbyteRecordMessageMeta

from source_stripe.cdk_seams import cdk_message_to_string
from source_stripe.message_lines import MessageLines

CHARGE: Dict[str, Any] = {
    "id": "ch_1",
    "object": "charge",
    "amount": 3100,
    "amount_refunded": 0,
    "captured": False,
    "created": 1796044031,
    "currency": "usd",
    "description": "Café «crème» 🍰, \"quoted\" \\ back\nslash",
    "metadata": {},
    "outcome": {"risk_score": 12.5, "reason": None, "rules": [1, 2.0, -3, True]},
    "refunds": {"object": "list", "data": [], "has_more": False},
    "fee": 1.1e-7,
    "big": 2**63 - 1,
    "updated": 1796044031,
    "is_deleted": False,
    "account_id": "acct_1",
}


def record(data: Dict[str, Any], **fields: Any) -> AirbyteMessage:
    return AirbyteMessage(
        type=Type.RECORD, record=AirbyteRecordMessage(stream="charges", data=data, emitted_at=1796044031123, **fields)
    )


class Recording:
    """A fallback that records the messages it is given and writes them as the CDK does."""

    def __init__(self) -> None:
        self.messages: List[AirbyteMessage] = []

    def __call__(self, message: AirbyteMessage) -> str:
        self.messages.append(message)
        return cdk_message_to_string()(message)


@pytest.mark.parametrize(
    "data", [CHARGE, {}, {"nested": [{"a": [{"b": None}]}]}, {"n": -0.0, "e": 1e300}, {"top": None, "kept": {"inner": None}}]
)
def test_a_record_line_is_byte_for_byte_the_cdks_line(data):
    message = record(dict(data))
    assert MessageLines()(message) == cdk_message_to_string()(message)


def test_a_record_line_does_not_go_through_the_cdks_serializer():
    fallback = Recording()
    MessageLines(fallback)(record(dict(CHARGE)))
    assert fallback.messages == []


def test_a_record_with_a_namespace_or_meta_is_written_by_the_cdk():
    fallback = Recording()
    lines = MessageLines(fallback)
    with_namespace = record({"id": "ch_1"}, namespace="stripe")
    with_meta = record({"id": "ch_1"}, meta=AirbyteRecordMessageMeta(changes=[]))
    assert lines(with_namespace) == cdk_message_to_string()(with_namespace)
    assert lines(with_meta) == cdk_message_to_string()(with_meta)
    assert fallback.messages == [with_namespace, with_meta]


def test_a_record_orjson_cannot_encode_is_written_by_the_cdks_fallback():
    fallback = Recording()
    message = record({"id": "ch_1", "huge": 2**70})  # over 64 bits: orjson refuses, the CDK falls back to json
    line = MessageLines(fallback)(message)
    assert fallback.messages == [message]
    assert '"huge": 1180591620717411303424' in line


def test_state_and_log_messages_are_the_cdks_lines():
    fallback = Recording()
    state = AirbyteMessage(
        type=Type.STATE,
        state=AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(
                stream_descriptor=StreamDescriptor(name="charges"), stream_state=AirbyteStateBlob(updated=1796044031)
            ),
        ),
    )
    log = AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=Level.INFO, message="hello"))
    lines = MessageLines(fallback)
    assert [lines(state), lines(log)] == [cdk_message_to_string()(state), cdk_message_to_string()(log)]
    assert fallback.messages == [state, log]
