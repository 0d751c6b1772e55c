"""The accounts of a read, their partitions, their events passes, and the manifest of a Connect read."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from airbyte_cdk.sources.types import StreamSlice

from source_stripe.accounts.cursors import EVENTS, AccountStates, AccountWindows, WindowPlan
from source_stripe.accounts.directory import AccountDirectory, account_of
from source_stripe.accounts.events import AccountEventsPasses, PassReader
from source_stripe.components.transformations import AccountIdTransformation
from source_stripe.manifest import resolved_manifest, row_name

ROUTER = "source_stripe.accounts.router.AccountPartitionRouter"


def test_accounts_are_listed_once_through_every_page():
    asked: List[tuple] = []

    def fetch(path: str, params: Mapping[str, Any]) -> Dict[str, Any]:
        asked.append((path, dict(params)))
        if path == "account":
            return {"id": "acct_p"}
        after = params.get("starting_after")
        return {"data": [{"id": "acct_2"}], "has_more": False} if after else {"data": [{"id": "acct_1"}], "has_more": True}

    directory = AccountDirectory(fetch, capture=True)
    assert directory.accounts() == ["acct_p", "acct_1", "acct_2"]
    assert directory.accounts() == ["acct_p", "acct_1", "acct_2"]
    assert [path for path, _ in asked] == ["account", "accounts", "accounts"]
    assert asked[2][1]["starting_after"] == "acct_1"


def test_the_configured_account_costs_no_request():
    directory = AccountDirectory(lambda path, params: {"id": "never"}, capture=False, configured_account="acct_one")
    assert directory.accounts() == ["acct_one"] and directory.requests == 0


def test_a_later_read_of_the_process_reuses_the_accounts_list_until_it_is_old(monkeypatch):
    from source_stripe.accounts import directory as directories

    monkeypatch.setattr(directories, "KNOWN_ACCOUNTS", {})
    monkeypatch.setattr(directories, "KNOWN_PLATFORMS", {})
    listed: List[str] = []
    connected = [["acct_a"], ["acct_a", "acct_b"]]

    def fetch(path: str, params: Mapping[str, Any]) -> Dict[str, Any]:
        listed.append(path)
        if path == "account":
            return {"id": "acct_p"}
        return {"data": [{"id": account} for account in connected[0]], "has_more": False}

    now = [1000.0]

    def poll() -> List[str]:
        return AccountDirectory(fetch, capture=True, key="base|key", clock=lambda: now[0]).accounts()

    assert poll() == ["acct_p", "acct_a"]
    connected.pop(0)  # acct_b connects
    now[0] += directories.ACCOUNTS_REFRESH_SECONDS - 1
    assert poll() == ["acct_p", "acct_a"] and listed == ["account", "accounts"]  # the next polls ask nothing
    now[0] += 1
    assert poll() == ["acct_p", "acct_a", "acct_b"] and listed == ["account", "accounts", "accounts"]
    assert AccountDirectory(fetch, capture=True, key="another key").accounts()[1:] == ["acct_a", "acct_b"]


def test_a_refused_account_is_noted_once_however_many_threads_are_refused_at_once():
    import threading

    directory = AccountDirectory(lambda path, params: {"id": "acct_p"}, capture=True)
    firsts: List[bool] = []
    barrier = threading.Barrier(8)

    def refused() -> None:
        barrier.wait()
        firsts.append(directory.refuse("acct_gone"))

    threads = [threading.Thread(target=refused) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(firsts) == [False] * 7 + [True]
    assert directory.refused == {"acct_gone"}
    assert directory.refuse("acct_other") is True


def test_a_childs_account_is_its_parents():
    child = StreamSlice(partition={"parent_id": "cus_1", "parent_slice": {"account_id": "acct_a"}}, cursor_slice={})
    assert account_of(child) == "acct_a"
    assert account_of(StreamSlice(partition={}, cursor_slice={})) is None


def test_a_record_carries_its_slices_account_else_the_platforms():
    directory = AccountDirectory(lambda path, params: {"id": "acct_p"})
    transformation = AccountIdTransformation(parameters={}, directory=directory)
    connected, platform = {"id": "ch_1"}, {"id": "ch_2"}
    transformation.transform(connected, stream_slice=StreamSlice(partition={"account_id": "acct_a"}, cursor_slice={}))
    transformation.transform(platform, stream_slice=StreamSlice(partition={}, cursor_slice={}))
    assert connected["account_id"] == "acct_a" and platform["account_id"] == "acct_p"


def _events_reader(directory: AccountDirectory, cursors: Dict[str, int]) -> PassReader:
    states = AccountStates("charges", {"platform": "acct_p", "accounts": cursors}, directory, lambda state: None,
                           retention=29 * 86400, now=2_000_000)
    return PassReader(AccountWindows(states, EVENTS, lambda: WindowPlan(0, 2_000_000, 10**9, 60), cursor_field=None))  # type: ignore[arg-type]


def test_each_account_has_its_own_pass_dropped_once_every_stream_has_read_it():
    directory = AccountDirectory(lambda path, params: {"id": "acct_p"} if path == "account" else {"data": []})
    readers = {"charges": _events_reader(directory, {"acct_a": 1_999_000}), "customers": _events_reader(directory, {"acct_a": 1_998_000})}
    fetched: List[tuple] = []
    passes = AccountEventsPasses(readers, {"charge.succeeded"}, 2_000_000, lambda account, params: fetched.append((account, params)))
    events_pass = passes.for_account("acct_a")
    assert events_pass is not None and events_pass.since == 1_998_000 - 60
    assert passes.for_account("acct_a") is events_pass
    assert passes.for_account("acct_unknown") is None  # no cursor: its list, or Stripe directly
    passes.release("acct_a", "charges")
    assert passes.held == 1
    passes.release("acct_a", "customers")
    assert passes.held == 0


def test_a_pass_is_made_while_a_stream_holding_its_cursors_lock_releases_another_account():
    """The lock order the Connect benchmark once deadlocked on: a stream's cursors call `release` holding their own
    lock, while `for_account` asks every stream's cursors where to start. `for_account` must not hold the passes'
    lock while it asks."""
    import threading

    cursors_lock = threading.Lock()
    asking = threading.Event()

    class LockedReader:
        """A stream's PassReader whose cursors take their own lock to answer."""

        def start(self, account: str) -> Optional[int]:
            asking.set()
            with cursors_lock:
                return 1_999_000

    passes = AccountEventsPasses({"charges": LockedReader(), "customers": LockedReader()}, None, 2_000_000,  # type: ignore[dict-item]
                                 lambda account, params: None)
    assert passes.for_account("acct_done") is not None
    made: List[Any] = []
    holding, released = threading.Event(), threading.Event()

    def stream_finishing_an_account() -> None:  # holds its cursors' lock, then releases acct_done
        with cursors_lock:
            holding.set()
            asking.wait(5)  # for_account is asking this stream's cursors where acct_new starts
            passes.release("acct_done", "charges")
            released.set()

    asking.clear()
    finishing = threading.Thread(target=stream_finishing_an_account, daemon=True)
    making = threading.Thread(target=lambda: made.append(passes.for_account("acct_new")), daemon=True)
    finishing.start()
    holding.wait(5)
    making.start()
    finishing.join(5)
    making.join(5)
    assert released.is_set(), "release() waited for the passes' lock while for_account held it: deadlock"
    assert made and made[0] is not None


def test_the_connect_manifest_partitions_every_stream_by_account_but_the_platforms_own_lists():
    manifest = resolved_manifest(connect=True)
    for stream in manifest["streams"]:
        name = row_name(stream)
        paths = [stream["full_refresh_stream"], stream["incremental_stream"]] if stream.get("type") == "StateDelegatingStream" else [stream]
        for path in paths:
            assert path["primary_key"] == ["account_id", "id"], name
            router = path["retriever"].get("partition_router") or {}
            if name == "accounts":
                assert not router, name
            elif router.get("class_name") != ROUTER:  # a child: its parents are listed per account
                parent = router["parent_stream_configs"][0]["stream"]
                parent_router = parent["retriever"].get("partition_router") or {}
                if row_name(parent) == "accounts":  # persons, capabilities, external accounts: the platform's
                    assert not parent_router, name
                else:  # the parents' listing per account, or (a grandchild) the grandparents'
                    assert parent_router.get("class_name") == ROUTER or parent_router.get("parent_stream_configs"), name
    kinds = {row_name(stream): stream.get("type") for stream in manifest["streams"]}
    assert kinds["invoice_line_items"] == "StateDelegatingStream"  # follows each account's parents' events
    assert kinds["bank_accounts"] == "DeclarativeStream"  # its own events: re-listed per account each sync


def test_the_manifest_without_connect_is_unchanged():
    manifest = resolved_manifest()
    charges = next(stream for stream in manifest["streams"] if row_name(stream) == "charges")
    assert "partition_router" not in charges["incremental_stream"]["retriever"]


def test_accounts_reading_events_go_before_accounts_backfilling():
    from source_stripe.accounts.streams import BothPaths

    class Path:
        def __init__(self, partitions: List[str]) -> None:
            self.partitions = partitions

        def generate_partitions(self) -> List[str]:
            return list(self.partitions)

    both = BothPaths(Path(["acct_a events"]), Path(["acct_big list 2023", "acct_big list 2024"]))  # type: ignore[arg-type]
    assert list(both.generate()) == ["acct_a events", "acct_big list 2023", "acct_big list 2024"]
