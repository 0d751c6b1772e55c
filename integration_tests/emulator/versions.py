"""API versions: objects rendered at the version a response or an event is for.

Stripe renders a list or retrieve response at the request's `Stripe-Version` (else the account's default version),
and an event's `data.object` at the event's own `api_version` (the account's default when the event was created).
The store keeps every object in the shape of the current version, `events.API_VERSION`; `render(obj, key, version)`
gives the object as an older version shows it, by undoing, newest first, each change of the table below that came
after `version`. The table holds a few of Stripe's real breaking changes, for streams the integration tests read,
each from Stripe's changelog (the URL on its row); it is not every change Stripe made.

An object with embedded children (an invoice's `lines`, a subscription's `items`: `Resource.embed_in`) has them
rendered as their own resource; a parent's undo runs first and reads its children in the current shape.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

from . import jsonlib
from .resources import CHILDREN

BASIL = "2025-03-31.basil"
CLOVER = "2025-09-30.clover"


def version_date(version: str) -> str:
    """`2025-03-31.basil` -> `2025-03-31`: versions compare by their date."""
    return version[:10]


@dataclass(frozen=True)
class Change:
    """One breaking change: from `version` on, `resource` has the current shape; `undo` turns an object of the
    newer shape into the older one, in place. `fields`: the top-level fields whose presence or value differ."""

    version: str
    resource: str
    fields: tuple[str, ...]
    undo: Callable[[dict], None]
    changelog: str


# ------------------------------------------------------------------------------------------------ 2025-03-31.basil
# https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects
# Invoices, invoice items and invoice line items name what generated them in `parent`; before, top-level fields did.
def _details(parent: dict | None, kind: str) -> dict:
    """`parent[kind]` when the parent is of that kind (`subscription_details`, `quote_details`, …), else {}."""
    parent = parent or {}
    return (parent.get(kind) or {}) if parent.get("type") == kind else {}


def _invoice_without_parent(invoice: dict) -> None:
    parent = invoice.pop("parent", None)
    subscription = _details(parent, "subscription_details")
    invoice["quote"] = _details(parent, "quote_details").get("quote")
    invoice["subscription"] = subscription.get("subscription")
    invoice["subscription_details"] = {"metadata": subscription.get("metadata")} if subscription else None
    invoice["subscription_proration_date"] = subscription.get("subscription_proration_date")


def _invoice_item_without_parent(item: dict) -> None:
    details = _details(item.pop("parent", None), "subscription_details")
    item["subscription"] = details.get("subscription")
    item["subscription_item"] = details.get("subscription_item")


# A line item's `type`: `invoiceitem` for an invoice item's line, `subscription` for a subscription item's.
_LINE_TYPES = {"invoice_item_details": "invoiceitem", "subscription_item_details": "subscription"}


def _line_item_without_parent(line: dict) -> None:
    parent = line.pop("parent", None) or {}
    kind = parent.get("type")
    details = _details(parent, kind) if kind in _LINE_TYPES else {}
    line["type"] = _LINE_TYPES.get(kind)
    for field in ("invoice_item", "subscription", "subscription_item", "proration", "proration_details"):
        line[field] = details.get(field)
    line["proration"] = bool(line["proration"])


# https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices
# Invoices lost `payment_intent`, `charge`, `paid`, `paid_out_of_band`, `application_fee_amount` and `transfer_data`
# (and gained `payments` and `confirmation_secret`); payment intents and charges lost `invoice`. The emulator does
# not know which invoice a payment paid: the older shape has the fields, empty.
def _invoice_with_single_payment(invoice: dict) -> None:
    payments = (invoice.pop("payments", None) or {}).get("data") or []
    first = (payments[0].get("payment") or {}) if payments else {}
    invoice.pop("confirmation_secret", None)
    invoice["paid"] = invoice.get("status") == "paid"
    invoice["paid_out_of_band"] = False
    invoice["charge"] = first.get("charge")
    invoice["payment_intent"] = first.get("payment_intent")
    invoice["application_fee_amount"] = None
    invoice["transfer_data"] = None


def _with_invoice_field(obj: dict) -> None:
    obj["invoice"] = None


# https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end
# The billing period moved from the subscription to each of its items.
def _subscription_with_period(subscription: dict) -> None:
    items = (subscription.get("items") or {}).get("data") or [{}]
    subscription["current_period_start"] = items[0].get("current_period_start")
    subscription["current_period_end"] = items[0].get("current_period_end")


def _subscription_item_without_period(item: dict) -> None:
    item.pop("current_period_start", None)
    item.pop("current_period_end", None)


# ------------------------------------------------------------------------------------------------ 2025-09-30.clover
# https://docs.stripe.com/changelog/clover/2025-09-30/polymorphic-coupon
# A promotion code's `coupon` moved to `promotion.coupon`. Older versions embed the whole coupon; the emulator keeps
# the reference it has (an id or null).
def _promotion_code_with_coupon(code: dict) -> None:
    promotion = code.pop("promotion", None) or {}
    code["coupon"] = promotion.get("coupon")


_PARENT_FIELD = "https://docs.stripe.com/changelog/basil/2025-03-31/adds-new-parent-field-to-invoicing-objects"
_PAYMENTS = "https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices"
_PERIODS = "https://docs.stripe.com/changelog/basil/2025-03-31/deprecate-subscription-current-period-start-and-end"
_COUPON = "https://docs.stripe.com/changelog/clover/2025-09-30/polymorphic-coupon"

CHANGES: tuple[Change, ...] = (
    Change(BASIL, "invoices",
           ("parent", "quote", "subscription", "subscription_details", "subscription_proration_date"),
           _invoice_without_parent, _PARENT_FIELD),
    Change(BASIL, "invoice_items", ("parent", "subscription", "subscription_item"), _invoice_item_without_parent,
           _PARENT_FIELD),
    Change(BASIL, "invoice_line_items", ("parent", "type", "invoice_item", "subscription", "subscription_item",
                                         "proration", "proration_details"), _line_item_without_parent, _PARENT_FIELD),
    Change(BASIL, "invoices",
           ("payments", "confirmation_secret", "paid", "paid_out_of_band", "charge", "payment_intent",
            "application_fee_amount", "transfer_data"),
           _invoice_with_single_payment, _PAYMENTS),
    Change(BASIL, "charges", ("invoice",), _with_invoice_field, _PAYMENTS),
    Change(BASIL, "payment_intents", ("invoice",), _with_invoice_field, _PAYMENTS),
    Change(BASIL, "subscriptions", ("current_period_start", "current_period_end"), _subscription_with_period, _PERIODS),
    Change(BASIL, "subscription_items", ("current_period_start", "current_period_end"),
           _subscription_item_without_period, _PERIODS),
    Change(CLOVER, "promotion_codes", ("promotion", "coupon"), _promotion_code_with_coupon, _COUPON),
)

# parent resource key -> [(its field embedding a list of children, the children's resource key)]
EMBEDDED: dict[str, list[tuple[str, str]]] = {}
for _child in CHILDREN:
    if _child.embed_in:
        EMBEDDED.setdefault(_child.parent, []).append((_child.embed_in, _child.key))


@lru_cache(maxsize=None)
def changes_after(resource_key: str, version: str) -> tuple[Change, ...]:
    """The changes of `resource_key` that came after `version`, newest first: the ones to undo."""
    date = version_date(version)
    later = [c for c in CHANGES if c.resource == resource_key and version_date(c.version) > date]
    return tuple(sorted(later, key=lambda c: version_date(c.version), reverse=True))


@lru_cache(maxsize=None)
def is_current(resource_key: str, version: str) -> bool:
    """True when `version` shows the resource (and the children it embeds) as stored: nothing to render."""
    if changes_after(resource_key, version):
        return False
    return all(is_current(child, version) for _field, child in EMBEDDED.get(resource_key, ()))


def render(obj: dict, resource_key: str, version: str) -> dict:
    """`obj` (stored at the current version) as `version` shows it: `obj` itself when nothing differs, else a copy."""
    if is_current(resource_key, version):
        return obj
    out = jsonlib.loads(jsonlib.dumps(obj))
    _render_in_place(out, resource_key, version)
    return out


def render_previous(previous: dict | None, resource_key: str, version: str) -> dict | None:
    """An event's `previous_attributes` at `version`: the embedded children lists it holds are rendered."""
    if not previous or is_current(resource_key, version):
        return previous
    out = jsonlib.loads(jsonlib.dumps(previous))
    _render_children(out, resource_key, version)
    return out


def _render_in_place(obj: dict, resource_key: str, version: str) -> None:
    for change in changes_after(resource_key, version):
        change.undo(obj)
    _render_children(obj, resource_key, version)


def _render_children(obj: dict, resource_key: str, version: str) -> None:
    for field, child in EMBEDDED.get(resource_key, ()):
        listed = obj.get(field)
        if isinstance(listed, dict) and isinstance(listed.get("data"), list):
            for item in listed["data"]:
                if isinstance(item, dict):
                    _render_in_place(item, child, version)


def changed_fields(resource_key: str) -> tuple[str, ...]:
    """Every top-level field some change of the table touches on `resource_key` (for tests comparing shapes)."""
    return tuple(sorted({f for c in CHANGES if c.resource == resource_key for f in c.fields}))


def changed_resources() -> tuple[str, ...]:
    return tuple(sorted({c.resource for c in CHANGES}))

