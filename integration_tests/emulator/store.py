"""Per-account object store, event log and clock."""
from __future__ import annotations

import itertools
import json
import random
import string
import threading
import time
from collections import Counter, defaultdict

from . import fixtures, jsonlib, versions
from .events import API_VERSION, EVENT_TYPES, event_type as lookup_event_type, make_event
from .listing import View
from .resources import BY_KEY, CHILDREN, PLATFORM_ONLY, TOP_LEVEL, Resource, resource

DAY = 86400
RETENTION = 30 * DAY
SEED_SPAN = 90 * DAY
PLATFORM_ID = "acct_1EmulatorPlatform0"
# An object that belongs to another names it, and the other names it back: (field, resource, field back).
BACKLINKS = {"reviews": (("charge", "charges", "review"),)}
_ALNUM = string.ascii_letters + string.digits


class Clock:
    """`now()` is real time unless frozen (`now=`) or shifted (`offset=` seconds)."""

    def __init__(self):
        self.fixed: int | None = None
        self.offset: float = 0.0

    def now(self) -> int:
        return int(self.fixed if self.fixed is not None else time.time() + self.offset)

    def set(self, now: int | None = None, offset: float | None = None) -> int:
        if now is not None:
            self.fixed = int(now)
        if offset is not None:
            self.fixed, self.offset = None, float(offset)
        return self.now()


class Record:
    __slots__ = ("id", "res", "obj", "created", "seq", "parent", "deleted", "_bytes")

    def __init__(self, obj: dict, res: str, created: int, seq: int, parent: str | None):
        self.id, self.res, self.obj, self.created, self.seq, self.parent = obj["id"], res, obj, created, seq, parent
        self.deleted = False
        self._bytes: bytes | None = None

    def bytes(self) -> bytes:
        if self._bytes is None:
            self._bytes = jsonlib.dumps(self.obj)
        return self._bytes

    def copy(self) -> dict:
        return jsonlib.loads(self.bytes())

    def touch(self) -> None:
        self._bytes = None


class AccountState:
    """One Stripe account's objects: storage key -> id -> Record, in insertion order."""

    def __init__(self, account_id: str, platform: bool, seed=0):
        self.id, self.platform = account_id, platform
        self.rng = random.Random(f"{seed}:{account_id}:events")  # event / request ids
        self.data: dict[str, dict[str, Record]] = defaultdict(dict)
        self.children: dict[tuple[str, str], list[Record]] = defaultdict(list)
        self.features = {"issuing": True, "connect": True}
        # The account's default API version: its events carry it (`api_version`), and requests without a
        # Stripe-Version header are served at it.
        self.api_version = API_VERSION
        self.pending_seed: tuple | None = None
        # Ids this account's lists leave out though they are not deleted: on the platform, the connected accounts
        # whose access has been revoked (`Store.revoke`), which `/v1/accounts` no longer lists.
        self.hidden: set[str] = set()
        self._views: dict[str, View] = {}

    def view(self, storage: str) -> View:
        v = self._views.get(storage)
        if v is None:
            hidden = self.hidden
            v = self._views[storage] = View(r for r in self.data[storage].values()
                                            if not r.deleted and r.id not in hidden)
        return v

    def invalidate(self, storage: str) -> None:
        self._views.pop(storage, None)


class AccountAccess:
    """Which connected accounts the platform's key no longer reaches, and when others stop being reachable:
    `revoke_after` limits count the requests each account is sent, so that a test can revoke one mid-sync at a
    deterministic point. The store's lock guards it."""

    def __init__(self):
        self.revoked: set[str] = set()
        self._limits: dict[str, int] = {}
        self._sent: Counter = Counter()

    def is_revoked(self, account: str) -> bool:
        return account in self.revoked

    def revoke(self, account: str) -> None:
        self.revoked.add(account)
        self._limits.pop(account, None)

    def set_limits(self, limits: dict[str, int]) -> None:
        self._limits = dict(limits)
        self._sent = Counter()

    def limits(self) -> dict[str, int]:
        return dict(self._limits)

    def count(self, account: str) -> bool:
        """Counts a request sent to `account`; True when that was the last one its limit allows."""
        self._sent[account] += 1
        limit = self._limits.get(account)
        return limit is not None and self._sent[account] >= limit


class Store:
    def __init__(self, seed: int | None = None, scale: int = 0):
        self.lock = threading.RLock()
        self.clock = Clock()
        self._seq = itertools.count(1)
        self.reset(seed, scale)

    # ----------------------------------------------------------------- accounts
    def reset(self, seed: int | None = None, scale: int = 0) -> None:
        with self.lock:
            self.platform_id = PLATFORM_ID
            self.accounts: dict[str, AccountState] = {PLATFORM_ID: AccountState(PLATFORM_ID, True, seed)}
            self.rng = random.Random(seed if seed is not None else 0)
            self.seed_value, self.scale = seed, scale
            self.access = AccountAccess()
            self.platform_account = self._platform_account_object()
            if scale:
                self.seed(seed or 0, scale)

    def state(self, account: str | None = None) -> AccountState:
        """The account's state; raises LookupError for unknown / deleted connected accounts."""
        with self.lock:
            st = self.accounts.get(account or PLATFORM_ID)
            if st is None:
                raise LookupError(account)
            if st.pending_seed is not None:
                seed, scale, base = st.pending_seed
                st.pending_seed = None
                self._seed_state(st, seed, scale, base)
            return st

    def connected_accounts(self) -> list[str]:
        return [a for a in self.accounts if a != PLATFORM_ID]

    def reachable_accounts(self) -> list[str]:
        """The connected accounts the platform's key reaches now: those `/v1/accounts` lists (not deleted, not
        revoked), in creation order."""
        with self.lock:
            return [a for a in self.connected_accounts() if not self.access.is_revoked(a)]

    # ----------------------------------------------------------------- Connect
    def _platform_account_object(self) -> dict:
        """The platform's own account object (`GET /v1/account` without Stripe-Account): Stripe's example account
        with the platform's id."""
        obj = fixtures.template("account")
        obj.update(id=PLATFORM_ID, created=self.clock.now() - SEED_SPAN, charges_enabled=True, payouts_enabled=True,
                   details_submitted=True)
        if isinstance(obj.get("external_accounts"), dict):
            obj["external_accounts"]["url"] = f"/v1/accounts/{PLATFORM_ID}/external_accounts"
        return obj

    def account_object(self, account: str | None = None) -> dict:
        """The account object `GET /v1/account` answers for a request acting as `account` (None: the platform): a
        connected account's is the platform's `accounts` object of that id. Raises LookupError for an unknown or
        deleted account."""
        with self.lock:
            st = self.state(account)
            if st.platform:
                return jsonlib.loads(jsonlib.dumps(self.platform_account))
            rec = self.accounts[PLATFORM_ID].data["accounts"].get(st.id)
            if rec is None or rec.deleted:
                raise LookupError(st.id)
            return rec.copy()

    def seed_accounts(self, count: int, objects: dict[str, int] | None = None, at: int | None = None) -> list[str]:
        """Creates `count` connected accounts (the platform's `accounts` objects, each logging its event on the
        platform as `create` does), each holding exactly `objects` ({top-level stream: how many}, with their
        events) and none of the default seed data; every object and account is created at `at` (default now).
        Returns the new account ids in creation order (`/v1/accounts` lists them the other way round).

        Built for the Connect benchmark: thousands of accounts in a few seconds, under one lock acquisition."""
        if not isinstance(objects or {}, dict):
            raise ValueError("objects must be {stream: count}")
        plan = [(resource(key), int(n)) for key, n in (objects or {}).items()]
        for res, n in plan:
            if res.parent or res.key in ("events", "accounts") or res.key in PLATFORM_ONLY or n < 0:
                raise ValueError(f"a connected account cannot be seeded with {n} {res.key}: top-level streams a "
                                 "connected account has only")
        if int(count) < 0:
            raise ValueError("count must be >= 0")
        with self.lock:
            at = self.clock.now() if at is None else int(at)
            platform = self.state(None)
            accounts_res = BY_KEY["accounts"]
            pick_platform = self._picker(platform, self.rng)
            ids = []
            for _ in range(int(count)):
                n = len(platform.data["accounts"])
                acct = self._insert(platform, accounts_res, self.rng, n, at, None, None, pick_platform)
                st = self.accounts[acct.id]
                pick = self._picker(st, self.rng)
                for res, k in plan:
                    for i in range(k):
                        self._insert(st, res, self.rng, i, at, None, None, pick)
                ids.append(acct.id)
            return ids

    def revoke(self, account: str) -> None:
        """Revokes the platform's access to a connected account (as when the account disconnects the platform's
        application): from now on every request acting as it gets Stripe's 403 `account_invalid`, and `/v1/accounts`
        no longer lists it; its objects stay in the store for the truth helpers. Raises LookupError for an unknown
        account."""
        with self.lock:
            st = self.accounts.get(account)
            if st is None or st.platform:
                raise LookupError(f"No such connected account: '{account}'")
            self.access.revoke(account)
            platform = self.accounts[PLATFORM_ID]
            platform.hidden.add(account)
            platform.invalidate("accounts")

    def set_revoke_after(self, limits: dict[str, int]) -> dict[str, int]:
        """`{account: n}`: revoke each account once it has been sent n more requests (counted from now), replacing
        the previous setting."""
        with self.lock:
            for account, n in limits.items():
                if account not in self.accounts or account == PLATFORM_ID:
                    raise LookupError(f"No such connected account: '{account}'")
                if int(n) < 0:
                    raise ValueError(f"revoke_after for {account} must be >= 0")
            self.access.set_limits({a: int(n) for a, n in limits.items()})
            for account, n in limits.items():
                if int(n) == 0:
                    self.revoke(account)
            return self.access.limits()

    def access_summary(self) -> dict:
        """`{"revoke_after": {account: n}, "revoked": [account, …]}` for the settings."""
        with self.lock:
            return {"revoke_after": self.access.limits(), "revoked": sorted(self.access.revoked)}

    def admit(self, account: str) -> bool:
        """A request acting as connected account `account` arrives: False when the platform's access to it is
        revoked (Stripe's 403), else counts it and True (revoking the account after it when `revoke_after` says so)."""
        with self.lock:
            if self.access.is_revoked(account):
                return False
            if self.access.count(account):
                self.revoke(account)
            return True

    # ----------------------------------------------------------------- seeding
    def seed(self, seed: int, scale: int) -> None:
        """Deterministically fill the platform account; connected accounts are seeded on first use."""
        with self.lock:
            base = self.clock.now()
            self._seed_state(self.accounts[PLATFORM_ID], seed, scale, base)
            for acct in self.connected_accounts():
                self.accounts[acct].pending_seed = (seed, max(1, scale // 2), base)

    def _seed_state(self, st: AccountState, seed: int, scale: int, base: int) -> None:
        rng = random.Random(f"{seed}:{st.id}")
        extra = random.Random(f"{seed}:{st.id}:filtered")  # archived prices, closed reviews: `rng` draws as before
        pick = self._picker(st, rng)
        for res in TOP_LEVEL:
            if not res.seed or (not st.platform and res.key in PLATFORM_ONLY):
                continue
            for n in range(scale):
                fields = self._review_of_a_charge(st, extra) if res.key == "reviews" else None
                self._insert(st, res, rng, n, base - rng.randint(3600, SEED_SPAN), None, fields, pick)
        for res in CHILDREN:
            if not st.platform and res.key in PLATFORM_ONLY:
                continue
            parents = [r for r in st.view(BY_KEY[res.parent].store_key).recs if r.res == res.parent]
            for p in sorted(parents, key=lambda r: r.seq):
                for n in range(rng.randint(1, 3)):
                    created = p.created + rng.randint(1, max(1, min(DAY, base - p.created)))
                    self._insert(st, res, rng, n, created, p.id, None, pick, seeding=True)
        for rec in list(st.data["subscriptions"].values()):
            if rng.random() < 0.3:
                ended = rec.created + rng.randint(60, max(61, base - rec.created))
                rec.obj.update(status="canceled", canceled_at=ended, ended_at=ended)
                rec.touch()
                self._emit(st, BY_KEY["subscriptions"], "delete", rec, ended)
        self._seed_archived_and_closed(st, extra, base)

    @staticmethod
    def _review_of_a_charge(st: AccountState, rng: random.Random) -> dict | None:
        """A seeded review's charge (one without a review) and its time: Radar opens a rule's review as the charge
        is made."""
        charges = [r for r in st.data["charges"].values() if r.res == "charges" and r.obj.get("review") is None]
        if not charges:
            return None
        charge = rng.choice(sorted(charges, key=lambda r: r.seq))
        return {"charge": charge.id, "created": charge.created}

    def _seed_archived_and_closed(self, st: AccountState, rng: random.Random, base: int) -> None:
        """What Stripe's lists leave out by default (default_filters.py): every third price archived, every second
        review closed, some time after its creation, with the event Stripe sends."""
        changes = (("prices", 3, {"active": False}), ("reviews", 2, {"open": False, "closed_reason": "approved",
                                                                      "reason": "approved"}))
        for key, every, fields in changes:
            recs = sorted((r for r in st.data[key].values() if r.res == key), key=lambda r: r.seq)
            for rec in recs[every - 1::every]:
                at = rec.created + rng.randint(60, max(61, base - rec.created))
                previous = {name: rec.obj.get(name) for name in fields}
                rec.obj.update(fields)
                rec.touch()
                self._emit(st, BY_KEY[key], "update", rec, at, previous=previous)

    def _picker(self, st: AccountState, rng: random.Random):
        cache: dict[str, list[str]] = {}

        def pick(key: str) -> str | None:
            pool = st.data.get(BY_KEY[key].store_key, {})
            ids = cache.get(key)
            if ids is None or len(ids) != len(pool):
                ids = cache[key] = [i for i, r in pool.items() if not r.deleted and r.res == key]
            return rng.choice(ids) if ids else None
        return pick

    # ----------------------------------------------------------------- internals
    @staticmethod
    def _new_id(prefix: str, rng: random.Random) -> str:
        """An event, request or discount id (`rng.choices`: a fifth of the cost of 23 `rng.choice` calls, which
        counts when seeding thousands of accounts)."""
        return prefix + "1" + "".join(rng.choices(_ALNUM, k=23))

    def _find(self, st: AccountState, res: Resource, id_: str, live: bool = True) -> Record:
        rec = st.data.get(res.store_key, {}).get(id_)
        if rec is None or rec.res != res.key and not (res.key == "balance_transactions") or (live and rec.deleted):
            raise KeyError(f"No such {res.obj}: '{id_}'")
        return rec

    def _parent_rec(self, st: AccountState, rec: Record) -> Record | None:
        res = BY_KEY[rec.res]
        if not res.parent or rec.parent is None:
            return None
        return st.data.get(BY_KEY[res.parent].store_key, {}).get(rec.parent)

    def is_live(self, st: AccountState, rec: Record) -> bool:
        while rec is not None:
            if rec.deleted:
                return False
            if not BY_KEY[rec.res].parent:
                return True
            rec = self._parent_rec(st, rec)
        return False

    def _insert(self, st, res, rng, n, created, parent_id, fields, pick, seeding=False) -> Record:
        obj = fixtures.build(res, rng, n, created, parent_id, pick)
        if fields:
            obj.update(fields)
            created = int(fields.get("created", created))
        rec = Record(obj, res.key, created, next(self._seq), parent_id)
        st.data[res.store_key][rec.id] = rec
        st.invalidate(res.store_key)
        self._link_back(st, rec)
        parent_previous = None
        if parent_id:
            st.children[(res.key, parent_id)].append(rec)
            parent_previous = self._refresh_embed(st, res, rec)
        if res.key == "accounts":
            self.accounts[rec.id] = AccountState(rec.id, False, self.seed_value)
        if not (seeding and "via" in EVENT_TYPES.get(res.key, {})):
            self._emit(st, res, "create", rec, created, parent_previous=parent_previous)
        return rec

    @staticmethod
    def _link_back(st: AccountState, rec: Record) -> None:
        """Makes the objects `rec` names in a `BACKLINKS` field name it back (a review's charge gets its `review`)."""
        for field, target, back in BACKLINKS.get(rec.res, ()):
            other = st.data[BY_KEY[target].store_key].get(rec.obj.get(field) or "")
            if other is not None and other.res == target and other.obj.get(back) is None:
                other.obj[back] = rec.id
                other.touch()

    def _refresh_embed(self, st: AccountState, res: Resource, rec: Record) -> dict | None:
        """Re-embeds the parent's list of children; returns the parent's `previous_attributes` for the change
        (`{embed_in: <the list before>}`), as Stripe puts in the parent's update event, or None."""
        parent = self._parent_rec(st, rec)
        if not res.embed_in or parent is None or not isinstance(parent.obj.get(res.embed_in), dict):
            return None
        before = json.loads(json.dumps(parent.obj[res.embed_in]))
        kids = [c.obj for c in st.children[(res.key, parent.id)] if not c.deleted]
        parent.obj[res.embed_in] = dict(parent.obj[res.embed_in], data=kids[:10], has_more=len(kids) > 10,
                                        total_count=len(kids))
        parent.touch()
        return {res.embed_in: before}

    def _log(self, st: AccountState, type_: str, snapshot: dict, at: int, previous=None,
             resource_key: str | None = None) -> dict:
        """Logs an event; the snapshot of a `resource_key` object (and its `previous_attributes`) is rendered at the
        account's default API version, which the event carries (`add_event` objects are logged as given)."""
        if resource_key:
            snapshot = versions.render(snapshot, resource_key, st.api_version)
            previous = versions.render_previous(previous, resource_key, st.api_version)
        ev = make_event(self._new_id("evt_", st.rng), type_, snapshot, at, self._new_id("req_", st.rng), previous,
                        None if st.platform else st.id, st.api_version)
        st.data["events"][ev["id"]] = Record(ev, "events", at, next(self._seq), None)
        st.invalidate("events")
        return ev

    def _emit(self, st, res, action, rec, at, type_=None, previous=None, status_changed=False, parent_previous=None):
        entry = EVENT_TYPES.get(res.key, {})
        if "via" in entry:
            anc = self._parent_rec(st, rec)
            while anc is not None and anc.res != entry["via"]:
                anc = self._parent_rec(st, anc)
                parent_previous = None  # a grandchild's change does not change the ancestor's embedded list
            if anc is not None and not anc.deleted:
                self._log(st, type_ or entry["parent_event"], anc.copy(), at, parent_previous, anc.res)
            return
        if type_ is None:
            type_ = lookup_event_type(res.key, action, rec.obj if status_changed else None, st.api_version)
        if type_ is None and action == "update" and "update_parent" in entry:
            type_ = entry["update_parent"]
        if isinstance(type_, tuple):  # the event of the object `field` names is sent instead (an item's invoice)
            field, target, other_type = type_
            other = st.data[BY_KEY[target].store_key].get(rec.obj.get(field) or "")
            if other is not None and not other.deleted:
                self._log(st, other_type, other.copy(), at, resource_key=other.res)
            return
        if type_:
            self._log(st, type_, rec.copy(), at, previous, rec.res)

    # ----------------------------------------------------------------- mutations
    def create(self, resource_key: str, fields: dict | None = None, parent_id: str | None = None,
               at: int | None = None, account: str | None = None) -> dict:
        """Create an object (children need parent_id) and log its event(s) at `at` (default now)."""
        res = resource(resource_key)
        if res.key == "events":
            raise ValueError("use add_event() to create events")
        with self.lock:
            st = self.state(account)
            if res.parent:
                parent = self._find(st, BY_KEY[res.parent], parent_id or "")
                if not self.is_live(st, parent):
                    raise KeyError(f"No such {BY_KEY[res.parent].obj}: '{parent_id}'")
            elif parent_id:
                raise ValueError(f"{res.key} is not a child resource")
            at = self.clock.now() if at is None else int(at)
            n = len(st.data[res.store_key])
            return self._insert(st, res, self.rng, n, at, parent_id, fields, self._picker(st, self.rng)).copy()

    def update(self, resource_key: str, id: str, fields: dict, at: int | None = None,
               event_type: str | None = None, account: str | None = None) -> dict:
        res = resource(resource_key)
        with self.lock:
            st = self.state(account)
            rec = self._find(st, res, id)
            previous = {k: rec.obj.get(k) for k, v in fields.items() if rec.obj.get(k) != v}
            rec.obj.update(fields)
            rec.touch()
            if "created" in fields:
                rec.created = int(fields["created"])
                st.invalidate(res.store_key)
            parent_previous = self._refresh_embed(st, res, rec)
            at = self.clock.now() if at is None else int(at)
            self._emit(st, res, "update", rec, at, event_type, previous, "status" in fields, parent_previous)
            return rec.copy()

    def delete(self, resource_key: str, id: str, at: int | None = None, account: str | None = None) -> None:
        """Delete like Stripe: hard delete, or cancel/void (status change) for subscriptions & co."""
        res = resource(resource_key)
        entry = EVENT_TYPES.get(res.key, {})
        if not res.deletable:
            raise ValueError(f"Stripe cannot delete {res.key}")
        with self.lock:
            st = self.state(account)
            rec = self._find(st, res, id)
            at = self.clock.now() if at is None else int(at)
            if res.deletable == "soft":
                rec.obj["status"] = res.soft_status
                if res.key == "subscriptions":
                    rec.obj.update(canceled_at=at, ended_at=at)
                rec.touch()
                self._emit(st, res, "delete", rec, at)
                return
            rec.deleted = True
            st.invalidate(res.store_key)
            if res.key == "accounts":
                self.accounts.pop(rec.id, None)
            parent_previous = self._refresh_embed(st, res, rec)
            self._emit(st, res, "delete", rec, at, entry.get("delete") if "via" not in entry else None,
                       parent_previous=parent_previous)

    def set_discount(self, customer_id: str, coupon: str | None, at: int | None = None,
                     account: str | None = None) -> dict | None:
        """Applies a discount of `coupon` to a customer (replacing the one it has), or removes it (`coupon=None`), as
        Stripe does: the customer's `discount` changes, and customer.discount.created, .updated or .deleted is logged
        with the discount (Stripe's example discount with a fresh id, naming its `customer`), not customer.updated.
        Returns the customer's discount afterwards."""
        with self.lock:
            st = self.state(account)
            rec = self._find(st, BY_KEY["customers"], customer_id)
            at = self.clock.now() if at is None else int(at)
            before = rec.obj.get("discount")
            if coupon is None:
                if not before:
                    raise ValueError(f"customer {customer_id} has no discount to remove")
                discount, action = before, "delete"
            else:
                discount = fixtures.template("discount")
                discount.update(id=self._new_id("di_", st.rng), customer=customer_id, start=at, end=None,
                                source=dict(discount.get("source") or {}, coupon=coupon))
                action = "update" if before else "create"
            rec.obj["discount"] = None if coupon is None else discount
            rec.touch()
            self._log(st, EVENT_TYPES["customers"]["discount"][action], discount, at)
            return rec.obj["discount"]

    # ----------------------------------------------------------------- events
    def add_event(self, type: str, obj: dict, at: int | None = None, account: str | None = None,
                  previous_attributes: dict | None = None) -> dict:
        """Log an arbitrary event (e.g. older than the 30-day retention)."""
        with self.lock:
            st = self.state(account)
            at = self.clock.now() if at is None else int(at)
            return dict(self._log(st, type, obj, at, previous_attributes))

    def backdate(self, event_id: str, at: int, account: str | None = None) -> dict:
        """Move an existing event to time `at`."""
        with self.lock:
            st = self.state(account)
            rec = st.data["events"][event_id]
            rec.created = rec.obj["created"] = int(at)
            rec.touch()
            st.invalidate("events")
            return rec.copy()

    # ----------------------------------------------------------------- truth
    def get(self, resource_key: str, id: str, account: str | None = None) -> dict | None:
        res = resource(resource_key)
        with self.lock:
            st = self.state(account)
            rec = st.data.get(res.store_key, {}).get(id)
            return rec.copy() if rec is not None and not rec.deleted else None

    def live_records(self, resource_key: str, account: str | None = None) -> list[Record]:
        """Internal records (with `.created`, `.parent`) behind live_objects(); newest first."""
        res = resource(resource_key)
        with self.lock:
            st = self.state(account)
            recs = st.view(res.store_key).recs
            if res.parent:
                recs = [r for r in recs if r.res == res.key and self.is_live(st, r)]
            return list(recs)

    def live_objects(self, resource_key: str, account: str | None = None) -> list[dict]:
        """Objects a full read returns: not deleted, parents alive; canceled subscriptions included."""
        with self.lock:
            return [r.copy() for r in self.live_records(resource_key, account)]

    def children_of(self, resource_key: str, parent_id: str, account: str | None = None) -> list[dict]:
        res = resource(resource_key)
        with self.lock:
            st = self.state(account)
            kids = [r for r in st.children.get((res.key, parent_id), []) if not r.deleted]
            return [r.copy() for r in sorted(kids, key=lambda r: (r.created, r.seq), reverse=True)]

    def events(self, account: str | None = None, include_expired: bool = False) -> list[dict]:
        with self.lock:
            st = self.state(account)
            horizon = self.clock.now() - RETENTION
            return [r.copy() for r in st.view("events").recs if include_expired or r.created >= horizon]
