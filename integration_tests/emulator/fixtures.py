"""Object factory: Stripe's example objects (fixtures3.json, MIT) shaped into fresh objects."""
from __future__ import annotations

import random
import string
from pathlib import Path

from . import jsonlib
from .resources import Resource

FIXTURES_PATH = Path(__file__).resolve().parents[2] / "third_party/stripe_openapi/fixtures3.json"
# Objects fixtures3.json lacks (app installs, feedback options, trial offers, tax locations, 3DS authentications),
# written by hand from the classes of Stripe's Python SDK; the schema generator reads the same file.
HAND_WRITTEN_PATH = Path(__file__).resolve().parents[2] / "scripts/hand_written_objects.json"
_ALNUM = string.ascii_letters + string.digits
_templates: dict[str, bytes] | None = None

# fields that point at another top-level object, linked to a random live one when seeding
LINKS = {
    "customer": "customers", "invoice": "invoices", "subscription": "subscriptions",
    "charge": "charges", "payment_intent": "payment_intents", "setup_intent": "setup_intents",
    "product": "products", "cardholder": "cardholders", "card": "cards", "coupon": "coupons",
}
# amount-like integer fields varied together
AMOUNTS = ("amount", "unit_amount", "amount_due", "amount_paid", "total", "subtotal", "amount_captured")
FIRST_NAMES = ("jenny", "alex", "sam", "kim", "lee", "noor", "ravi", "ana", "tom", "mia")


def _load() -> dict[str, bytes]:
    global _templates
    if _templates is None:
        with open(FIXTURES_PATH, "rb") as f:
            resources = jsonlib.loads(f.read())["resources"]
        with open(HAND_WRITTEN_PATH, "rb") as f:
            resources = {**jsonlib.loads(f.read())["resources"], **resources}
        _templates = {name: jsonlib.dumps(obj) for name, obj in resources.items()}
    return _templates


def template(obj_name: str) -> dict:
    """A fresh deep copy of the fixture object."""
    return jsonlib.loads(_load()[obj_name])


def new_id(res: Resource, rng: random.Random) -> str:
    if res.key == "coupons":
        return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(8))
    return res.prefix + "1" + "".join(rng.choice(_ALNUM) for _ in range(23))


def build(res: Resource, rng: random.Random, n: int, created: int, parent_id: str | None,
          pick=None) -> dict:
    """Build object number `n` of `res`. `pick(resource_key)` returns a random live id or None."""
    if res.obj == "usage_record_summary":
        return {"id": new_id(res, rng), "object": "usage_record_summary", "invoice": None, "livemode": False,
                "period": {"start": created - 30 * 86400, "end": created},
                "subscription_item": parent_id, "total_usage": rng.randint(1, 1000)}
    obj = template(res.obj)
    obj["id"] = new_id(res, rng)
    if "created" in obj:
        obj["created"] = created
    if "date" in obj and res.obj == "invoiceitem":
        obj["date"] = created
    if "livemode" in obj:
        obj["livemode"] = False
    amount = rng.randint(1, 2000) * 50
    for k in AMOUNTS:
        if isinstance(obj.get(k), int) and not isinstance(obj.get(k), bool):
            obj[k] = amount
    if isinstance(obj.get("email"), str) or res.key == "customers":
        obj["email"] = f"{FIRST_NAMES[n % len(FIRST_NAMES)]}.{n}@example.com"
    if res.key == "customers":
        obj["name"] = f"{FIRST_NAMES[n % len(FIRST_NAMES)].title()} Customer {n}"
    if pick is not None:
        for field, target in LINKS.items():
            if isinstance(obj.get(field), str) and field != res.parent_field:
                obj[field] = pick(target)
        if res.key == "application_fees":
            obj["account"] = pick("accounts")
    if res.key == "payouts":
        obj["automatic"] = n % 4 != 3  # one payout in four is manual (created by the API, not Stripe's schedule)
    if res.parent_field:
        obj[res.parent_field] = parent_id
        if res.parent_field == "account":
            obj.pop("customer", None)
    _shape(res, obj)
    return obj


def _shape(res: Resource, obj: dict) -> None:
    """Per-resource touches so fixtures look like live objects."""
    if res.key == "subscriptions":
        obj.update(status="active", canceled_at=None, ended_at=None, cancel_at=None, cancel_at_period_end=False)
        obj["items"] = {"object": "list", "data": [], "has_more": False, "total_count": 0,
                        "url": f"/v1/subscription_items?subscription={obj['id']}"}
    elif res.key == "customers":  # no discount until one is applied (Store.set_discount)
        obj["discount"] = None
    elif res.key == "invoices":
        obj["lines"] = {"object": "list", "data": [], "has_more": False, "total_count": 0,
                        "url": f"/v1/invoices/{obj['id']}/lines"}
    elif res.key == "credit_notes":
        obj["lines"] = {"object": "list", "data": [], "has_more": False, "total_count": 0,
                        "url": f"/v1/credit_notes/{obj['id']}/lines"}
    elif res.key == "transfers":
        obj["reversals"] = {"object": "list", "data": [], "has_more": False, "total_count": 0,
                            "url": f"/v1/transfers/{obj['id']}/reversals"}
    elif res.key == "tax_ids":  # the account's own tax ids (Stripe's default `owner[type]=self`)
        obj.update(customer=None, owner=dict(obj.get("owner") or {}, type="self", customer=None))
    elif res.key == "treasury_payment_methods":  # payment methods of Treasury flows belong to no customer
        obj["customer"] = None
    elif res.key == "balance_transactions" or res.obj == "balance_transaction":
        obj["net"] = obj.get("amount", 0) - (obj.get("fee") or 0)
