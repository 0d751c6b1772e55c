"""Routes and request handling for the /v1 API (GET only: lists and retrieves)."""
from __future__ import annotations

import re
from urllib.parse import parse_qsl

from . import jsonlib, versions
from .default_filters import default_filter
from .errors import (ApiError, account_invalid, connect_disabled, issuing_disabled, manual_payout_history,
                     missing_parameter, missing_resource, platform_may_not_read, unknown_parameter, unrecognized_url)
from .events import type_matches
from .expansion import expanded, list_expansions
from .listing import View, page
from .resources import BY_KEY, CHILDREN, COMMON_PARAMS, CONNECT, ISSUING, STUB_ON_DELETE, TOP_LEVEL
from .store import RETENTION

# exact list paths -> resource key
LISTS = {"/v1/" + r.path: r.key for r in TOP_LEVEL}
# child lists addressed with a query param: path -> child resource key
QUERY_CHILDREN = {"/v1/" + r.path: r.key for r in CHILDREN if r.parent_query}
# nested child lists: (regex, route name, [child resource keys])
NESTED: list[tuple[re.Pattern, str, list[str]]] = []
for _r in CHILDREN:
    if _r.parent_query:
        continue
    _route = "/v1/" + _r.path
    for _rx, _name, _keys in NESTED:
        if _name == _route:
            _keys.append(_r.key)
            break
    else:
        NESTED.append((re.compile("^" + re.escape(_route).replace(r"\{id\}", "([^/]+)") + "$"), _route, [_r.key]))
# retrieve: "/v1/<path>" prefix -> resource key
RETRIEVE = {"/v1/" + r.path: r.key for r in TOP_LEVEL}
RETRIEVE.update({"/v1/subscription_items": "subscription_items", "/v1/radar/value_list_items": "value_list_items"})


class Response:
    __slots__ = ("status", "body", "headers", "count", "route")

    def __init__(self, status: int, body: bytes, headers=None, count: int = 0, route: str = ""):
        self.status, self.body, self.headers, self.count, self.route = status, body, headers or {}, count, route


def parse_params(query: str) -> dict:
    """Stripe form encoding: a=1, a[b]=2 (dict), a[]=3 / a[0]=3 (list)."""
    params: dict = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        base, bracket, rest = key.partition("[")
        if not bracket:
            params[base] = value
            continue
        sub = rest.split("]", 1)[0]
        if sub == "" or sub.isdigit():
            cur = params.get(base)
            params[base] = (cur if isinstance(cur, list) else []) + [value]
        else:
            cur = params.get(base)
            if not isinstance(cur, dict):
                cur = params[base] = {}
            cur[sub] = value
    return params


def route(path: str) -> tuple[str, str, list[str], str | None]:
    """(kind, route name, resource keys, id) with kind in list | child | query_child | retrieve | retrieve_child
    (whose id is (parent id, child id))."""
    if path in LISTS:
        return "list", path, [LISTS[path]], None
    if path in QUERY_CHILDREN:
        return "query_child", path, [QUERY_CHILDREN[path]], None
    for rx, name, keys in NESTED:
        m = rx.match(path)
        if m:
            return "child", name, keys, m.group(1)
    prefix, _, id_ = path.rpartition("/")
    for rx, name, keys in NESTED:  # one child under its parent: /v1/customers/{id}/tax_ids/{child}
        m = rx.match(prefix)
        if m and id_:
            return "retrieve_child", name + "/{child}", keys, (m.group(1), id_)
    if prefix in RETRIEVE and id_:
        return "retrieve", prefix + "/{id}", [RETRIEVE[prefix]], id_
    raise KeyError(path)


def check_features(state, keys: list[str]) -> None:
    if not state.features.get("issuing", True) and keys[0] in ISSUING:
        raise issuing_disabled()
    if not state.features.get("connect", True) and keys[0] in CONNECT:
        raise connect_disabled()


def check_params(params: dict, keys: list[str]) -> None:
    allowed = set(COMMON_PARAMS)
    for k in keys:
        res = BY_KEY[k]
        allowed.update(res.params)
        if res.created_filter:
            allowed.add("created")
    for name in params:
        if name not in allowed:
            raise unknown_parameter(name)


def _matches(obj_value, wanted: str) -> bool:
    if isinstance(obj_value, bool):
        return wanted == ("true" if obj_value else "false")
    if isinstance(obj_value, dict):
        return obj_value.get("id") == wanted
    if isinstance(obj_value, int):
        return str(obj_value) == wanted
    return obj_value == wanted


def make_predicate(params: dict, keys: list[str], skip=()):
    """Equality filters on plain string params the object has a field for, plus special cases."""
    tests = []
    res_key = keys[0]
    for name, value in params.items():
        if name in COMMON_PARAMS or name == "created" or name in skip:
            continue
        if res_key == "events" and name in ("type", "types"):
            patterns = [value] if isinstance(value, str) else list(value)
            if len(patterns) > 20:
                raise ApiError(400, "Invalid array: types must have at most 20 elements.", param="types")
            tests.append(lambda r, p=patterns: any(type_matches(r.obj["type"], x) for x in p))
        elif res_key == "subscriptions" and name == "status":
            if value != "all":
                tests.append(lambda r, v=value: r.obj.get("status") == v)
        elif isinstance(value, str):
            tests.append(lambda r, n=name, v=value: n not in r.obj or _matches(r.obj[n], v))
    keeps = default_filter(res_key, params)  # prices: active only, reviews: open only, subscriptions: not canceled
    if keeps is not None:
        tests.append(lambda r: keeps(r.obj))
    if res_key == "events" and "type" in params and "types" in params:
        raise ApiError(400, "You may only specify one of these parameters: type, types.", param="type")
    if not tests:
        return None
    if len(tests) == 1:
        return tests[0]
    return lambda r: all(t(r) for t in tests)


def record_bytes(rec, version: str) -> bytes:
    """The record's JSON at `version`: its cached bytes when the version shows it as stored (events always: their
    `data.object` is at each event's own `api_version`), else rendered (integration_tests/emulator/versions.py)."""
    if versions.is_current(rec.res, version):
        return rec.bytes()
    return jsonlib.dumps(versions.render(rec.obj, rec.res, version))


def list_body(recs, has_more: bool, url: str, version: str) -> bytes:
    return b"".join((b'{"object":"list","data":[', b",".join(record_bytes(r, version) for r in recs),
                     b'],"has_more":', b"true" if has_more else b"false", b',"url":', jsonlib.dumps(url), b"}"))


# Legacy usage-based billing: API versions from 2025-03-31.basil on no longer serve it; a request pinned to an older
# version still gets it (https://docs.stripe.com/billing/subscriptions/usage-based-legacy/sdk-upgrade). The error
# for a newer version is assumed to be the unknown-URL 404: Stripe's documentation does not quote it.
BASIL = "2025-03-31"
REMOVED_IN_BASIL = frozenset({"usage_records"})


def handle(emu, method: str, path: str, query: str, headers, key: str) -> Response:
    """Serve one authenticated /v1 request."""
    store = emu.store
    try:
        kind, name, keys, id_ = ("account", ACCOUNT_PATH, [], None) if path == ACCOUNT_PATH else route(path)
    except KeyError:
        raise unrecognized_url(method, path) from None
    if method != "GET":
        raise unrecognized_url(method, path)
    account = headers.get("Stripe-Account") or None
    try:
        state = store.state(account)
    except LookupError:
        raise account_invalid(account, key) from None
    if not state.platform and not store.admit(state.id):  # revoked (Store.revoke, `revoke_after`)
        raise account_invalid(account, key)
    # The version the request is served at: its Stripe-Version, else the account's default.
    version = headers.get("Stripe-Version") or state.api_version
    if keys and keys[0] in REMOVED_IN_BASIL and version >= BASIL:
        raise unrecognized_url(method, path)
    emu.limiter.hit(state.id, key, path)
    if kind == "account":
        return _account(store, account, version)
    for k in keys:
        emu.auth.authorize(key, k, state.id)
    check_features(state, keys)
    if kind == "child" and set(keys) & emu.unreadable_children.get(id_, set()):
        raise platform_may_not_read(path.rsplit("/", 1)[-1], id_)
    params = parse_params(query)
    response = _serve(store, state, kind, name, keys, id_, params, path, version)
    response.headers.setdefault("Stripe-Version", version)
    return response


# GET /v1/account: the account the request acts as (https://docs.stripe.com/api/accounts/retrieve). Any valid key
# reads it: the emulator asks no restricted-key permission for it (Stripe's permissions reference names none).
ACCOUNT_PATH = "/v1/account"


def _account(store, account: str | None, version: str) -> Response:
    obj = versions.render(store.account_object(account), "accounts", version)
    return Response(200, jsonlib.dumps(obj), {"Stripe-Version": version}, count=1, route=ACCOUNT_PATH)


def _serve(store, state, kind: str, name: str, keys: list[str], id_, params: dict, path: str, version: str) -> Response:
    with store.lock:
        if kind == "retrieve":
            return _retrieve(store, state, keys[0], id_, name, version)
        if kind == "retrieve_child":
            return _retrieve_child(store, state, keys, id_, name, version)
        check_params(params, keys)
        if kind == "list" and keys[0] == "balance_transactions" and "payout" in params:
            kind, keys, id_ = "query_child", ["payout_balance_transactions"], params["payout"]
        elif kind == "query_child":
            pq = BY_KEY[keys[0]].parent_query
            id_ = params.get(pq)
            if not id_:
                raise missing_parameter(pq)
        if kind == "list":
            res = BY_KEY[keys[0]]
            view = state.view(res.store_key)
            min_created = store.clock.now() - RETENTION if res.key == "events" else None
            pred = make_predicate(params, keys)
        else:
            res = BY_KEY[keys[0]]
            parent_res = BY_KEY[res.parent]
            parent = state.data.get(parent_res.store_key, {}).get(id_)
            if parent is None or parent.res != parent_res.key or not store.is_live(state, parent):
                raise missing_resource(parent_res.obj, id_)
            if res.key == "payout_balance_transactions" and parent.obj.get("automatic") is False:
                raise manual_payout_history()
            kids = [r for k in keys for r in state.children.get((k, id_), ()) if not r.deleted]
            view = View(kids)
            min_created = None
            pred = make_predicate(params, keys, skip=(res.parent_query,))
        recs, has_more = page(view, params, res.obj, params.get("created"), min_created, pred)
        recs = expanded(state, recs, list_expansions(params))
        body = list_body(recs, has_more, path, version)
    return Response(200, body, count=len(recs), route=name)


def _retrieve_child(store, state, keys: list[str], ids: tuple[str, str], name: str, version: str) -> Response:
    """One child of a live parent (`GET /v1/customers/cus_…/tax_ids/txi_…`); 404 for another parent's child."""
    parent_id, child_id = ids
    for key in keys:
        rec = state.data.get(BY_KEY[key].store_key, {}).get(child_id)
        if rec is not None and rec.res == key and rec.parent == parent_id and store.is_live(state, rec):
            return Response(200, record_bytes(rec, version), count=1, route=name)
    raise missing_resource(BY_KEY[keys[0]].obj, child_id)


def _retrieve(store, state, key: str, id_: str, name: str, version: str) -> Response:
    res = BY_KEY[key]
    rec = state.data.get(res.store_key, {}).get(id_)
    if rec is not None and key == "events" and rec.created < store.clock.now() - RETENTION:
        rec = None
    if rec is None or (rec.res != key and key != "balance_transactions"):
        raise missing_resource(res.obj, id_)
    if rec.deleted:
        if key in STUB_ON_DELETE:
            return Response(200, jsonlib.dumps({"id": rec.id, "object": res.obj, "deleted": True}), route=name)
        raise missing_resource(res.obj, id_)
    return Response(200, record_bytes(rec, version), count=1, route=name)
