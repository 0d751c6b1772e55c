"""Record shaping for child streams."""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from typing import Any, Dict, Mapping, Optional

from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.types import Config, StreamSlice, StreamState


@dataclass
class ParentFieldTransformation(RecordTransformation):
    """Sets `parent_field` (from the stream's `$parameters`) to the parent's id when Stripe leaves it out.

    Stripe puts the parent id on most child objects (`customer` on a balance transaction) but not on all (checkout
    session line items, credit note lines, payout balance transactions). A plain dict write instead of `AddFields`,
    whose Jinja template costs more than the rest of the record's processing.

        transformations:
          - type: CustomTransformation
            class_name: source_stripe.components.transformations.ParentFieldTransformation
        # with $parameters: {parent_field: credit_note}
    """

    parameters: InitVar[Mapping[str, Any]]
    parent_field: Optional[str] = None
    partition_key: str = "parent_id"
    _field: str = field(init=False, default="")

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._field = self.parent_field or str(parameters.get("parent_field") or "")
        if not self._field:
            raise ValueError("ParentFieldTransformation needs a parent_field")

    def transform(
        self,
        record: Dict[str, Any],
        config: Optional[Config] = None,
        stream_state: Optional[StreamState] = None,
        stream_slice: Optional[StreamSlice] = None,
    ) -> None:
        if record.get(self._field) is None and stream_slice is not None:
            record[self._field] = stream_slice.partition.get(self.partition_key)
