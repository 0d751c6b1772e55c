"""The lists that Stripe filters by default, as its API reference says (third_party/stripe_python/list_endpoints.tsv,
doc column; the connector's side is scripts/stripe_api_coverage.py DEFAULT_FILTERS):

- `/v1/prices`: "Returns a list of your active prices … For the list of inactive prices, set active to false." Without
  `active`, active prices only (`active=false`: archived ones only, the plain equality filter).
- `/v1/reviews`: "Returns a list of Review objects that have open set to true." Open reviews only, always: the list
  takes no parameter that lifts it.
- `/v1/subscriptions`: "By default, returns a list of subscriptions that have not been canceled." Without `status`,
  canceled ones are left out (`status=all` lists every one).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class DefaultFilter:
    """Objects a list returns when the request does not send `lifted_by` (None: nothing lifts it)."""

    keeps: Callable[[dict], bool]
    lifted_by: str | None = None

    def applies(self, params: dict) -> bool:
        return self.lifted_by is None or self.lifted_by not in params


DEFAULT_FILTERS: dict[str, DefaultFilter] = {
    "prices": DefaultFilter(lambda obj: obj.get("active") is not False, lifted_by="active"),
    "reviews": DefaultFilter(lambda obj: obj.get("open") is True),
    "subscriptions": DefaultFilter(lambda obj: obj.get("status") != "canceled", lifted_by="status"),
}


def default_filter(resource_key: str, params: dict) -> Callable[[dict], bool] | None:
    """What a list request of `resource_key` with `params` keeps by default, None when it keeps everything."""
    found = DEFAULT_FILTERS.get(resource_key)
    return found.keeps if found is not None and found.applies(params) else None
