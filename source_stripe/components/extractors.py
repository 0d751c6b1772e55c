"""Record extraction from Stripe list pages."""

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
