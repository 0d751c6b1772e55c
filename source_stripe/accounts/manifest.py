"""The manifest of a Connect read (`capture_connected_accounts`).

- Children that follow their parents (`following_child_stream`) are partitioned by account like object streams:
  their retrievers read the account's parents (created in the window, or changed in its events) and list their
  children with the account's partition.
- Children with events of their own (`own_evented_child_stream`: payment methods, customer sources and tax ids) are
  read as `child_stream`: every child of every parent of every account, each sync (their first read lists them per
  parent, with no cursor an account could resume from; README, "Connected accounts").
- Every stream's listing gets the AccountPartitionRouter: a top-level stream's (both paths of an object stream, or
  of a following child), and for a child listed per parent the listing of its parents (the child's partitions then
  carry the account as their `parent_slice`).
  `accounts` (the platform's list of its connected accounts) and its children (persons, capabilities, external
  accounts, which the platform reads with its own key) stay the platform's.
- The primary key is `[account_id, id]`: an id is unique only within an account.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, MutableMapping

from source_stripe.accounts.directory import ACCOUNT_ID

DEFINITIONS = "#/definitions/"
# Child kinds read as `child_stream` in a Connect read.
AS_CHILD_STREAM = frozenset({DEFINITIONS + "own_evented_child_stream"})
ROUTER = {"type": "CustomPartitionRouter", "class_name": "source_stripe.accounts.router.AccountPartitionRouter"}
PRIMARY_KEY = [ACCOUNT_ID, "id"]
# Lists the platform reads for itself only.
PLATFORM_LISTS = frozenset({"accounts"})


def children_as_child_streams(manifest: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The manifest's child rows of the kinds `AS_CHILD_STREAM` as `child_stream` rows (in place, before linking)."""
    for row in manifest.get("streams") or []:
        if row.get("$ref") in AS_CHILD_STREAM:
            row["$ref"] = DEFINITIONS + "child_stream"
    return manifest


def with_account_partitions(manifest: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The resolved manifest with every stream partitioned by account and keyed by `[account_id, id]` (in place)."""
    for stream in manifest.get("streams") or []:
        for path in _paths(stream):
            path["primary_key"] = list(PRIMARY_KEY)
            _route(path)
        if stream.get("type") == "StateDelegatingStream":
            stream["primary_key"] = list(PRIMARY_KEY)
    return manifest


def _paths(stream: MutableMapping[str, Any]) -> Iterable[MutableMapping[str, Any]]:
    if stream.get("type") == "StateDelegatingStream":
        return [stream["full_refresh_stream"], stream["incremental_stream"]]
    return [stream]


def _route(listing: MutableMapping[str, Any]) -> None:
    """The router in `listing`'s retriever, or, when it lists per parent, in its parents' listings."""
    if _name(listing) in PLATFORM_LISTS:
        return
    retriever: Dict[str, Any] = listing["retriever"]
    router = retriever.get("partition_router")
    if router is None:
        retriever["partition_router"] = dict(ROUTER)
        return
    for config in router.get("parent_stream_configs") or []:
        for path in _paths(config["stream"]):
            _route(path)


def _name(stream: MutableMapping[str, Any]) -> str:
    return str(stream.get("name") or (stream.get("$parameters") or {}).get("name") or "")
