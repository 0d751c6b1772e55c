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


@dataclass
class ListedObjectTransformation(RecordTransformation):
    """Gives a record read from a Stripe list the fields the event path sets: `updated` and `is_deleted`.

    A listed object exists (`is_deleted: false`) and is as of its creation for the `updated` cursor
    (`updated = created`); objects without `created` (payment links) get the end of the window they were read in,
    i.e. the time of the read. A plain dict write instead of `AddFields` (one Jinja evaluation per record).

        transformations:
          - type: CustomTransformation
            class_name: source_stripe.components.transformations.ListedObjectTransformation
    """

    parameters: InitVar[Mapping[str, Any]]
    window_end_key: str = "end_time"

    def transform(
        self,
        record: Dict[str, Any],
        config: Optional[Config] = None,
        stream_state: Optional[StreamState] = None,
        stream_slice: Optional[StreamSlice] = None,
    ) -> None:
        updated = record.get("created")
        if updated is None and stream_slice is not None:
            end = stream_slice.cursor_slice.get(self.window_end_key)
            updated = int(end) if end is not None else None
        record["updated"] = updated
        record["is_deleted"] = False


@dataclass
class ChildSnapshotTransformation(RecordTransformation):
    """Gives a child record the fields object records carry: `updated` and `is_deleted: false`.

    `updated` is the time of the parent change the child was listed for: the parent event's time on the events
    path (`extra_fields.updated`, set by `ChangedParentsChildrenRetriever`), the parent's `created` on the
    full-refresh path (`extra_fields.created`, from the parent stream config's `extra_fields`), the way a listed
    object's `updated` is its `created`.

        transformations:
          - type: CustomTransformation
            class_name: source_stripe.components.transformations.ChildSnapshotTransformation
    """

    parameters: InitVar[Mapping[str, Any]]

    def transform(
        self,
        record: Dict[str, Any],
        config: Optional[Config] = None,
        stream_state: Optional[StreamState] = None,
        stream_slice: Optional[StreamSlice] = None,
    ) -> None:
        extra = stream_slice.extra_fields if stream_slice is not None else {}
        updated = extra.get("updated")
        if updated is None:
            updated = extra.get("created")
        record["updated"] = int(updated) if updated is not None else None
        record["is_deleted"] = False
