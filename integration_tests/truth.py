"""What a full-refresh read of each stream must return, computed from the emulator's store."""
from __future__ import annotations

from integration_tests.emulator import fixtures
from integration_tests.emulator.resources import resource
from integration_tests.emulator.store import RETENTION, Store


def has_created(stream: str) -> bool:
    """Whether the stream's Stripe objects carry `created`. A list without a `created` filter of objects without it
    (payment links, terminal readers…) is read whole, whatever start_date."""
    return "created" in fixtures.template(resource(stream).obj)


def expected_ids(store: Store, stream: str, start_date: int, account: str | None = None) -> set[str]:
    """Ids a full-refresh read of `stream` with `start_date` must return.

    Top-level streams: live objects created at/after start_date (subscriptions of every
    status; objects without `created` all). Child streams: every live child of the parents the parent
    stream returns (of automatic payouts only: Stripe lists no other payout's balance transactions). events: events within the 30-day retention and at/after start_date.
    """
    res = resource(stream)
    if stream == "events":
        horizon = max(start_date, store.clock.now() - RETENTION)
        return {r.id for r in store.live_records("events", account) if r.created >= horizon}
    if res.parent is None:
        recs = store.live_records(stream, account)
        if not res.created_filter and not has_created(stream):
            return {r.id for r in recs}
        return {r.id for r in recs if r.created >= start_date}
    parents = expected_ids(store, res.parent, start_date, account)
    if stream == "payout_balance_transactions":  # Stripe lists the balance transactions of automatic payouts only
        parents = {pid for pid in parents if (store.get("payouts", pid, account) or {}).get("automatic") is not False}
    return {o["id"] for pid in parents for o in store.children_of(stream, pid, account)}


def expected_account_ids(store: Store, stream: str, start_date: int,
                         accounts: list[str | None] | None = None) -> set[tuple[str, str]]:
    """(account_id, id) pairs a full-refresh read of `stream` with `capture_connected_accounts` must return: per
    account, `expected_ids`; the platform's records carry the platform's own id (`GET /v1/account`).

    `accounts`: the accounts to cover (None or the platform's id for the platform); by default the platform and every
    connected account `/v1/accounts` lists now (`Store.reachable_accounts`: revoked and deleted accounts left out;
    name a revoked one to get its objects).
    """
    if accounts is None:
        accounts = [store.platform_id, *store.reachable_accounts()]
    pairs: set[tuple[str, str]] = set()
    for account in accounts:
        account_id = account or store.platform_id
        scope = None if account_id == store.platform_id else account_id
        pairs.update((account_id, id_) for id_ in expected_ids(store, stream, start_date, scope))
    return pairs


def all_streams() -> list[str]:
    from integration_tests.emulator.resources import RESOURCES
    return [r.key for r in RESOURCES]
