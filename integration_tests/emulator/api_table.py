"""Stripe's API table, as the emulator follows it: what each list endpoint accepts.

The table is third_party/stripe_python/list_endpoints.tsv, derived from Stripe's own Python SDK by
scripts/stripe_api_table.py: per GET list endpoint, whether it accepts `created[...]` and its required and optional
query parameters. The emulator's resources (resources.py) take their accepted parameters from it, so the emulator
cannot accept a parameter Stripe refuses, or refuse one Stripe accepts.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TABLE_PATH = Path(__file__).resolve().parents[2] / "third_party" / "stripe_python" / "list_endpoints.tsv"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
NONE = "-"


@dataclass(frozen=True)
class ListEndpoint:
    """One row of the table: `path` under /v1 (`customers/{customer}/sources`), whether it takes `created`, and its
    required and optional query parameters (the path's own placeholders are no query parameter)."""

    path: str
    created: bool
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def query_params(self) -> tuple[str, ...]:
        """The query parameters it accepts besides `created` and the pagination ones, sorted."""
        in_path = set(_PLACEHOLDER.findall(self.path))
        return tuple(sorted((set(self.required) | set(self.optional)) - in_path))


def _names(column: str) -> tuple[str, ...]:
    return () if column == NONE else tuple(column.split(","))


def path_shape(path: str) -> str:
    """A path with every `{placeholder}` alike: `customers/{id}/sources` and `customers/{customer}/sources` match."""
    return _PLACEHOLDER.sub("{}", path)


@lru_cache(maxsize=1)
def endpoints() -> dict[str, ListEndpoint]:
    """The table's list endpoints, by `path_shape`."""
    rows: dict[str, ListEndpoint] = {}
    for line in TABLE_PATH.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        path, _objects, created, required, optional, _doc = line.split("\t", 5)
        rows[path_shape(path)] = ListEndpoint(path, created == "yes", _names(required), _names(optional))
    return rows


def list_endpoint(path: str) -> ListEndpoint | None:
    """The table's endpoint for an emulator list path (`{id}` for a parent id), None when the table has none (an
    endpoint newer API versions removed, like usage record summaries)."""
    return endpoints().get(path_shape(path))
