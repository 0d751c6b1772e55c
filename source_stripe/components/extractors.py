"""Record extraction from Stripe list pages, and what an event says of its object (gone, a preview)."""

from __future__ import annotations

from dataclasses import InitVar, dataclass
from typing import Any, Iterable, Mapping, MutableMapping

import requests
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor

from source_stripe.components.response_body import json_body


@dataclass
class ListDataExtractor(RecordExtractor):
    """Yields the objects of a Stripe list page (`{"object": "list", "data": [...], "has_more": ...}`).

    Replaces `DpathExtractor(field_path: [data])`, which walks every record with dpath and decodes the body with the
    standard json module; this reads `data` straight from the body that `json_body` parsed once with orjson.

        extractor:
          type: CustomRecordExtractor
          class_name: source_stripe.components.extractors.ListDataExtractor
    """

    parameters: InitVar[Mapping[str, Any]]

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        return json_body(response).get("data") or []


# Event types whose name says "deleted" but whose object stays listed by Stripe: a canceled subscription is still
# returned by `/v1/subscriptions?status=all`, so it is not deleted for the destination, only `status: canceled`.
STILL_LISTED_DELETION_EVENTS = frozenset({"customer.subscription.deleted"})
# Event types whose object leaves its stream's list without a `.deleted` name: a detached payment method is no
# longer listed under its customer.
REMOVAL_EVENTS = frozenset({"payment_method.detached"})


def is_deletion(event_type: str) -> bool:
    """True when the event says its object is gone from Stripe's list (`*.deleted` except canceled subscriptions, and
    `REMOVAL_EVENTS`)."""
    if event_type in REMOVAL_EVENTS:
        return True
    return event_type.endswith(".deleted") and event_type not in STILL_LISTED_DELETION_EVENTS


# The id Stripe gives a preview (an upcoming invoice) when it gives one at all.
PREVIEW_ID_PREFIX = "upcoming_"


def is_preview(obj: Mapping[str, Any]) -> bool:
    """True for an event object that is no stored object: the invoice of `invoice.upcoming` (no id, or an
    `upcoming_…` one). It is no row of any stream."""
    return not obj.get("id") or str(obj["id"]).startswith(PREVIEW_ID_PREFIX)
