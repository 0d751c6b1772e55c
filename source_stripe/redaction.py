"""Keeps Stripe keys out of every byte the connector writes.

The CDK already filters the configured secret from its logs. Stripe's own error messages, which the CDK logs
verbatim, carry a masked copy of the key (`sk_test_********************abcd`) whose last four characters are still
the key's; and a stray exception could print a key from a misplaced config field. So every line written to stdout
or stderr, except RECORD lines (Stripe objects, never keys, and the hot path), has anything shaped like a Stripe key
replaced.
"""

from __future__ import annotations

import io
import re
import sys
from typing import Any, TextIO

from source_stripe.cdk_seams import route_cdk_print_buffer

KEY_LIKE = re.compile(r"\b([rsp]k)_(live|test)_[A-Za-z0-9_*]+")
REDACTED = r"\1_\2_[REDACTED]"
_RECORD_PREFIXES = ('{"type":"RECORD"', '{"type": "RECORD"')


def redact(text: str) -> str:
    return KEY_LIKE.sub(REDACTED, text)


class RedactingStream(io.TextIOBase):
    """A text stream that redacts key-shaped strings before writing to the wrapped stream."""

    def __init__(self, wrapped: TextIO) -> None:
        self._wrapped = wrapped

    def write(self, text: str) -> int:  # type: ignore[override]
        # `k_live_`/`k_test_` are in every key-shaped string: two substring scans (C speed) clear most writes, which
        # the CDK's PrintBuffer makes of thousands of RECORD lines at once.
        if "k_live_" in text or "k_test_" in text:  # one write may hold many messages: judge each line on its own
            text = "".join(
                line if line.startswith(_RECORD_PREFIXES) else redact(line) for line in text.splitlines(keepends=True)
            )
        return self._wrapped.write(text)

    def flush(self) -> None:
        self._wrapped.flush()

    def fileno(self) -> int:
        return self._wrapped.fileno()

    def isatty(self) -> bool:
        return self._wrapped.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._wrapped, "encoding", "utf-8")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)


def install_output_redaction() -> None:
    """Wraps sys.stdout and sys.stderr once; call before anything (the CDK's loggers included) grabs them."""
    sys.stdout = redacting(sys.stdout)
    sys.stderr = redacting(sys.stderr)
    # The CDK's PrintBuffer (used by `launch` and its log handler) bypasses sys.stdout.
    route_cdk_print_buffer(redacting)


def redacting(stream: TextIO) -> TextIO:
    """`stream` wrapped in a RedactingStream, unless it is one already."""
    return stream if isinstance(stream, RedactingStream) else RedactingStream(stream)  # type: ignore[return-value]
