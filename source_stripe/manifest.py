"""manifest.yaml as the CDK reads it.

manifest.yaml is a table: one row per stream, a child row naming its `parent` row. A parent is declared once, by its
own row; this module gives each child what it needs of its parent before the CDK sees the manifest:

- a child listed per parent record (`child_stream`, and the first read of `own_evented_child_stream`) gets the
  manifest's `parent_router` with the parent row's listing: its path and query, `created` since start_date, or, for a
  parent that is itself a child (subscription items), its own listing under its parent;
- a child that follows its parent (`following_child_stream`) gets the parent row's path, query and event types as
  `parent_path`, `parent_list_query` and `parent_event_types`, which its retrievers read.

Then the `$ref`s are resolved (the CDK's own resolver), once per process. A read gets only the streams its catalog
selects, and a stream resuming an interrupted first read gets its list path (`full_refresh_stream`) as the stream.
"""

from __future__ import annotations

from copy import deepcopy
from functools import lru_cache
from typing import Any, Collection, Dict, List, Mapping, Optional

from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import ManifestReferenceResolver
from airbyte_cdk.utils.yaml_loader import safe_load_yaml

from source_stripe.accounts.manifest import children_as_child_streams, with_account_partitions
from source_stripe.bundle import manifest_path

DEFINITIONS = "#/definitions/"
PARENT = "parent"
# Child kinds listed through a partition router, and where in the row their router goes: `child_stream` is the
# listing itself; `own_evented_child_stream` lists its children so only on its first read.
ROUTED_KINDS: Mapping[str, tuple[str, ...]] = {
    DEFINITIONS + "child_stream": (),
    DEFINITIONS + "own_evented_child_stream": ("full_refresh_stream",),
}
# Child kinds that read their parents themselves, from these parameters.
FOLLOWING_KINDS = frozenset({DEFINITIONS + "following_child_stream"})
# The listing of a parent whose list takes no `created` filter: the whole list, start_date applied to the records
# (quotes) or not at all (payment links); any other parent is listed as `list_stream`, `created[gte]` = start_date.
LISTING_KINDS: Mapping[str, str] = {
    DEFINITIONS + "evented_client_filtered_stream": "client_filtered_list_stream",
    DEFINITIONS + "client_filtered_list_stream": "client_filtered_list_stream",
    DEFINITIONS + "evented_unfiltered_stream": "unfiltered_list_stream",
    DEFINITIONS + "unfiltered_list_stream": "unfiltered_list_stream",
}
# A parent's listing sets these itself, so that its child's own values (which the CDK propagates into every component
# nested in the child, the parent's listing included) do not reach the parent's requests.
LISTING_PARAMETERS = ("name", "path", "query", "parent_field", "parent_query", "api_version")


class ManifestError(ValueError):
    """manifest.yaml's table is inconsistent (a row naming a parent that is no row, or of no child kind)."""


def row_name(row: Mapping[str, Any]) -> str:
    return str(row.get("name") or (row.get("$parameters") or {}).get("name") or "")


def link_parents(manifest: Dict[str, Any]) -> Dict[str, Any]:
    """Gives each child row of the table (in place) what it needs of its parent row; returns the manifest."""
    rows = {row_name(row): row for row in manifest.get("streams") or []}
    for row in rows.values():
        parameters = row.get("$parameters") or {}
        if PARENT not in parameters:
            continue
        parent = _row(rows, parameters[PARENT], row_name(row))
        kind = row.get("$ref")
        if kind in FOLLOWING_KINDS:
            parent_parameters = parent["$parameters"]
            parameters.setdefault("parent_path", parent_parameters["path"])
            parameters.setdefault("parent_list_query", parent_parameters.get("query"))
            parameters.setdefault("parent_event_types", parent_parameters.get("event_types"))
        elif kind in ROUTED_KINDS:
            target = row
            for key in ROUTED_KINDS[kind]:
                target = target.setdefault(key, {"$ref": f"{kind}/{key}"})
            target["retriever"] = _child_retriever(rows, parent, parameters.get("parent_query"))
        else:
            raise ManifestError(f"stream '{row_name(row)}' names a parent but its kind {kind!r} lists no children")
    return manifest


def _row(rows: Mapping[str, Dict[str, Any]], name: str, child: str) -> Dict[str, Any]:
    if name not in rows:
        raise ManifestError(f"stream '{child}' names parent '{name}', which is no stream of manifest.yaml")
    return rows[name]


def _listing(rows: Mapping[str, Dict[str, Any]], row: Mapping[str, Any]) -> Dict[str, Any]:
    """The stream that lists the records of `row` for its children: everything created since start_date (see
    `LISTING_KINDS`), with the row's path and query; for a row that is itself a child, its children of every record
    of its own parent."""
    parameters = row["$parameters"]
    listing_parameters = {key: parameters.get(key) for key in LISTING_PARAMETERS}
    if PARENT not in parameters:
        kind = LISTING_KINDS.get(str(row.get("$ref")), "list_stream")
        return {"$ref": DEFINITIONS + kind, "$parameters": listing_parameters}
    grandparent = _row(rows, parameters[PARENT], row_name(row))
    return {
        "$ref": DEFINITIONS + "child_stream",
        "$parameters": listing_parameters,
        "retriever": _child_retriever(rows, grandparent, parameters.get("parent_query")),
    }


def _child_retriever(
    rows: Mapping[str, Dict[str, Any]], parent: Mapping[str, Any], parent_query: Optional[str]
) -> Dict[str, Any]:
    """A retriever listing the children of every record of `parent` (the manifest's `parent_router` and
    `parent_stream_config`, the latter's `stream` the parent's listing), the parent id in the path or, with
    `parent_query`, in the query."""
    config: Dict[str, Any] = {"$ref": DEFINITIONS + "parent_stream_config", "stream": _listing(rows, parent)}
    if parent_query:
        config["request_option"] = {"type": "RequestOption", "inject_into": "request_parameter", "field_name": parent_query}
    return {
        "$ref": DEFINITIONS + "retriever",
        "partition_router": {"$ref": DEFINITIONS + "parent_router", "parent_stream_configs": [config]},
    }


@lru_cache(maxsize=2)
def _resolved(connect: bool) -> Dict[str, Any]:
    with open(manifest_path(), "rb") as file:
        manifest = safe_load_yaml(file)
    if connect:
        children_as_child_streams(manifest)
    resolved = ManifestReferenceResolver().preprocess_manifest(link_parents(manifest))
    return with_account_partitions(resolved) if connect else resolved


def resolved_manifest(connect: bool = False) -> Dict[str, Any]:
    """manifest.yaml with its children linked to their parents and its `$ref`s resolved (a copy of your own); with
    `connect`, the manifest of a read of every connected account too (source_stripe/accounts/manifest.py)."""
    return deepcopy(_resolved(bool(connect)))


def for_read(
    manifest: Mapping[str, Any],
    selected: Optional[Collection[str]],
    list_paths: Collection[str] = (),
    event_paths: Collection[str] = (),
) -> Dict[str, Any]:
    """The manifest with only the `selected` streams (all when None), each StateDelegatingStream in `list_paths`
    replaced by its list path (`full_refresh_stream`) and each in `event_paths` by its events path
    (`incremental_stream`), with the row's parameters: the CDK then builds the one path the read takes, not both."""
    streams: List[Dict[str, Any]] = []
    for stream in manifest.get("streams") or []:
        name = row_name(stream)
        if selected is not None and name not in selected:
            continue
        if stream.get("type") == "StateDelegatingStream" and (name in list_paths or name in event_paths):
            path = stream["full_refresh_stream" if name in list_paths else "incremental_stream"]
            parameters = {**(stream.get("$parameters") or {}), **(path.get("$parameters") or {})}
            stream = {**path, "$parameters": parameters}
        streams.append(stream)
    return {**manifest, "streams": streams}
