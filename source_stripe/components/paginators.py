"""Stripe's cursor pagination."""

from __future__ import annotations

from dataclasses import InitVar, dataclass
from typing import Any, Mapping, Optional

import requests
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import PaginationStrategy
from airbyte_cdk.sources.types import Record

from source_stripe.components.response_body import json_body


@dataclass
class StartingAfterPagination(PaginationStrategy):
    """Next page = `starting_after=<id of the page's last object>` while the page says `has_more`.

    The CDK's `CursorPagination` would do the same with two Jinja templates, evaluated on a second parse of the
    body; this reads the body `json_body` already parsed. Stateless, as the CDK requires: one instance serves every
    partition at once.

        pagination_strategy:
          type: CustomPaginationStrategy
          class_name: source_stripe.components.paginators.StartingAfterPagination
          page_size: 100
    """

    parameters: InitVar[Mapping[str, Any]]
    page_size: int = 100

    @property
    def initial_token(self) -> Optional[Any]:
        return None

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Optional[Record],
        last_page_token_value: Optional[Any] = None,
        page_size_override: Optional[int] = None,
        stream_slice: Optional[Any] = None,
    ) -> Optional[str]:
        body = json_body(response)
        data = body.get("data") or []
        if not body.get("has_more") or not data:
            return None
        return str(data[-1]["id"])

    def get_page_size(self) -> Optional[int]:
        return self.page_size
