"""Record shaping: child streams, listed objects, the account a record was read from."""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.types import Config, StreamSlice, StreamState

from source_stripe.accounts.directory import account_of, current_directory


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


@dataclass
class AccountIdTransformation(RecordTransformation):
    """Sets `account_id`: the account the record was read from, the connected account of the slice (its own
    partition's, or its parent's for a child) in a Connect read, else the platform (or the config's `account_id`).

    The source's component factory gives it the read's AccountDirectory (source_stripe/accounts/directory.py), which
    asks `GET /v1/account` once, on the first record of a read that names no account.

        transformations:
          - type: CustomTransformation
            class_name: source_stripe.components.transformations.AccountIdTransformation
    """

    parameters: InitVar[Mapping[str, Any]]
    directory: Optional[Any] = None
    _platform: Optional[str] = field(init=False, default=None)

    def transform(
        self,
        record: Dict[str, Any],
        config: Optional[Config] = None,
        stream_state: Optional[StreamState] = None,
        stream_slice: Optional[StreamSlice] = None,
    ) -> None:
        account = account_of(stream_slice) if stream_slice else None
        record["account_id"] = account or self._platform or self._platform_of(config)

    def _platform_of(self, config: Optional[Config]) -> Optional[str]:
        directory = self.directory or current_directory()
        if directory is not None:
            self._platform = directory.platform()
        else:
            self._platform = (config or {}).get("account_id")
        return self._platform


def account_fields(transformations: Any) -> List[RecordTransformation]:
    """The AccountIdTransformations among a record selector's transformations."""
    return [t for t in transformations or () if isinstance(t, AccountIdTransformation)]
