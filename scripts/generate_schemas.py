#!/usr/bin/env python3
"""Generate ``schemas/<stream>.json`` for every stream of source-stripe.

Every schema is derived from Stripe's own example object for the resource the
stream reads, taken from ``third_party/stripe_openapi/fixtures3.json``
(``resources.<object name>``; MIT, Copyright Stripe, Inc.), or, for the objects it
lacks, from ``scripts/hand_written_objects.json`` (written from Stripe's Python SDK).

Usage:
    python scripts/generate_schemas.py          # (re)write every schema
    python scripts/generate_schemas.py --check  # exit 1 and list the files that differ

The output is deterministic (sorted keys, indent 2, trailing newline), so running
the generator twice produces no diff.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES_PATH = ROOT / "third_party" / "stripe_openapi" / "fixtures3.json"
# Objects fixtures3.json lacks, written by hand from the classes of Stripe's Python SDK (see its "about").
HAND_WRITTEN_OBJECTS_PATH = ROOT / "scripts" / "hand_written_objects.json"
SCHEMAS_DIR = ROOT / "schemas"

JSON_SCHEMA_DRAFT = "http://json-schema.org/draft-07/schema#"

# stream -> (Stripe fixture object name, parent field or None).
# The parent field is the record field a child stream carries its parent's id in;
# the connector adds it when Stripe's object does not have it.
STREAMS: dict[str, tuple[str, str | None]] = {
    # incremental streams read from /v1/events
    "events": ("event", None),
    "balance_transactions": ("balance_transaction", None),
    "files": ("file", None),
    "file_links": ("file_link", None),
    "shipping_rates": ("shipping_rate", None),
    # streams kept up to date from events of their object type
    "accounts": ("account", None),
    "application_fees": ("application_fee", None),
    "authorizations": ("issuing.authorization", None),
    "cardholders": ("issuing.cardholder", None),
    "cards": ("issuing.card", None),
    "charges": ("charge", None),
    "checkout_sessions": ("checkout.session", None),
    "coupons": ("coupon", None),
    "credit_notes": ("credit_note", None),
    "customers": ("customer", None),
    "disputes": ("dispute", None),
    "early_fraud_warnings": ("radar.early_fraud_warning", None),
    "invoice_items": ("invoiceitem", None),
    "invoices": ("invoice", None),
    "payment_intents": ("payment_intent", None),
    "payment_links": ("payment_link", None),
    "payouts": ("payout", None),
    "plans": ("plan", None),
    "prices": ("price", None),
    "products": ("product", None),
    "promotion_codes": ("promotion_code", None),
    "quotes": ("quote", None),
    "refunds": ("refund", None),
    "reviews": ("review", None),
    "setup_intents": ("setup_intent", None),
    "subscription_schedule": ("subscription_schedule", None),
    "subscriptions": ("subscription", None),
    "tax_rates": ("tax_rate", None),
    "top_ups": ("topup", None),
    "transactions": ("issuing.transaction", None),
    "transfers": ("transfer", None),
    "value_lists": ("radar.value_list", None),
    "billing_credit_grants": ("billing.credit_grant", None),
    "billing_meters": ("billing.meter", None),
    "billing_portal_configurations": ("billing_portal.configuration", None),
    "climate_orders": ("climate.order", None),
    "financial_connections_accounts": ("financial_connections.account", None),
    "identity_verification_sessions": ("identity.verification_session", None),
    "issuing_disputes": ("issuing.dispute", None),
    "forwarding_requests": ("forwarding.request", None),
    "identity_verification_reports": ("identity.verification_report", None),
    "invoice_payments": ("invoice_payment", None),
    "reporting_report_runs": ("reporting.report_run", None),
    "treasury_financial_accounts": ("treasury.financial_account", None),
    "billing_credit_balance_transactions": ("billing.credit_balance_transaction", None),
    "invoice_rendering_templates": ("invoice_rendering_template", None),
    "issuing_personalization_designs": ("issuing.personalization_design", None),
    "payment_method_domains": ("payment_method_domain", None),
    "payment_records": ("payment_record", None),
    "sigma_scheduled_query_runs": ("scheduled_query_run", None),
    "tax_registrations": ("tax.registration", None),
    "billing_alerts": ("billing.alert", None),
    "entitlements_features": ("entitlements.feature", None),
    "issuing_physical_bundles": ("issuing.physical_bundle", None),
    "payment_method_configurations": ("payment_method_configuration", None),
    "terminal_configurations": ("terminal.configuration", None),
    "terminal_locations": ("terminal.location", None),
    "terminal_readers": ("terminal.reader", None),
    "apps_installs": ("apps.install", None),
    "billing_feedback_options": ("billing.feedback_option", None),
    "product_catalog_trial_offers": ("product_catalog.trial_offer", None),
    "tax_ids": ("tax_id", None),
    "tax_locations": ("tax.location", None),
    "three_d_secure_authentications": ("three_d_secure.authentication", None),
    "treasury_payment_methods": ("payment_method", None),
    # child streams (read per parent record)
    "account_capabilities": ("capability", "account"),
    "customer_cash_balance_transactions": ("customer_cash_balance_transaction", "customer"),
    "customer_tax_ids": ("tax_id", "customer"),
    "payment_intent_amount_details_line_items": ("payment_intent_amount_details_line_item", "payment_intent"),
    "payment_link_line_items": ("item", "payment_link"),
    "product_features": ("product_feature", "product"),
    "quote_computed_upfront_line_items": ("item", "quote"),
    "quote_line_items": ("item", "quote"),
    "application_fees_refunds": ("fee_refund", "fee"),
    "bank_accounts": ("bank_account", "customer"),
    "customer_cards": ("card", "customer"),
    "checkout_sessions_line_items": ("item", "checkout_session"),
    "credit_note_line_items": ("credit_note_line_item", "credit_note"),
    "customer_balance_transactions": ("customer_balance_transaction", "customer"),
    "external_account_bank_accounts": ("bank_account", "account"),
    "external_account_cards": ("card", "account"),
    "invoice_line_items": ("line_item", "invoice"),
    "payment_methods": ("payment_method", "customer"),
    "payout_balance_transactions": ("balance_transaction", "payout"),
    "persons": ("person", "account"),
    "setup_attempts": ("setup_attempt", "setup_intent"),
    "subscription_items": ("subscription_item", "subscription"),
    "transfer_reversals": ("transfer_reversal", "transfer"),
    "usage_records": ("usage_record_summary", "subscription_item"),
    "value_list_items": ("radar.value_list_item", "value_list"),
    "entitlements_active_entitlements": ("entitlements.active_entitlement", "customer"),
    "financial_connections_transactions": ("financial_connections.transaction", "account"),
    "issuing_tokens": ("issuing.token", "card"),
    "payment_attempt_records": ("payment_attempt_record", "payment_record"),
    "treasury_credit_reversals": ("treasury.credit_reversal", "financial_account"),
    "treasury_debit_reversals": ("treasury.debit_reversal", "financial_account"),
    "treasury_inbound_transfers": ("treasury.inbound_transfer", "financial_account"),
    "treasury_outbound_payments": ("treasury.outbound_payment", "financial_account"),
    "treasury_outbound_transfers": ("treasury.outbound_transfer", "financial_account"),
    "treasury_received_credits": ("treasury.received_credit", "financial_account"),
    "treasury_received_debits": ("treasury.received_debit", "financial_account"),
    "treasury_transaction_entries": ("treasury.transaction_entry", "financial_account"),
    "treasury_transactions": ("treasury.transaction", "financial_account"),
}

# fixtures3.json has no usage_record_summary; this example is written by hand from
# Stripe's API reference ("The usage record summary object").
HAND_WRITTEN_FIXTURES: dict[str, dict[str, Any]] = {
    "usage_record_summary": {
        "id": "sis_1PgcQwB7WZ01zgkWmWRxWbUP",
        "object": "usage_record_summary",
        "invoice": "in_1PgcQwB7WZ01zgkWc2rOXtJL",
        "livemode": False,
        "period": {"start": 1, "end": 2},
        "subscription_item": "si_1PgcQwB7WZ01zgkWhZDE3BqU",
        "total_usage": 1,
    },
}

# Fields the connector sets on every record.
CONNECTOR_FIELDS: dict[str, dict[str, Any]] = {
    "updated": {"type": ["null", "integer"]},  # epoch seconds
    "is_deleted": {"type": ["null", "boolean"]},
    "account_id": {"type": ["null", "string"]},  # connected account the record was read for
}

# A Stripe id or expandable reference: "cus_QXg1o8vcGmoR32", "il_tmp_1Pgc…", "txn_…".
ID_PATTERN = re.compile(r"^[a-z]+(_[a-z]+)?_[A-Za-z0-9]+$")
# Stripe's random id suffix always holds a digit or an upper-case letter; without this
# check enum values such as "per_unit" or "invoice_line_item" would pass for ids.
ID_SUFFIX = re.compile(r"[0-9A-Z]")
# Keys never expanded by Stripe even when their value looks like an id.
NEVER_EXPANDED = frozenset({"id", "object", "client_secret", "filename"})
# Keys whose value is a map of arbitrary keys.
MAP_KEYS = frozenset({"metadata"})
# Keys Stripe documents as decimal numbers whose example happens to be a whole number
# (e.g. tax_rate.percentage = 19); typing them "integer" would reject 8.25.
NUMBER_KEYS = frozenset(
    {"percentage", "effective_percentage", "percent_off", "exchange_rate", "application_fee_percent", "amount_percent"}
)

ANY_OBJECT: dict[str, Any] = {"type": ["null", "object"], "additionalProperties": True}
REFERENCE: dict[str, Any] = {"type": ["null", "string", "object"]}


def load_fixtures(path: Path = FIXTURES_PATH) -> dict[str, Any]:
    with open(path, encoding="utf-8") as f:
        resources = dict(json.load(f)["resources"])
    with open(HAND_WRITTEN_OBJECTS_PATH, encoding="utf-8") as f:
        hand_written = dict(HAND_WRITTEN_FIXTURES, **json.load(f)["resources"])
    for name, example in hand_written.items():
        resources.setdefault(name, example)
    return resources


def fixture_for(stream: str, fixtures: dict[str, Any] | None = None) -> dict[str, Any]:
    """Stripe's example object for a stream (a deep copy)."""
    fixtures = fixtures if fixtures is not None else load_fixtures()
    return copy.deepcopy(fixtures[STREAMS[stream][0]])


def is_reference(key: str | None, value: str) -> bool:
    """True if ``value`` is a Stripe id that ``expand[]`` may turn into an object."""
    if key in NEVER_EXPANDED or not ID_PATTERN.match(value):
        return False
    # A real id, or a fixture placeholder naming the referenced object ("invoice_item": "invoice_item").
    return bool(ID_SUFFIX.search(value.rsplit("_", 1)[1])) or value == key


def _types(schema: dict[str, Any]) -> list[str]:
    t = schema.get("type", [])
    return [t] if isinstance(t, str) else list(t)


def merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """A schema accepting everything ``a`` or ``b`` accepts (used for array elements)."""
    if a == b:
        return copy.deepcopy(a)
    if not a or not b:  # {} accepts anything
        return {}
    types = set(_types(a)) | set(_types(b))
    if {"integer", "number"} <= types:
        types.discard("integer")
    order = ["null", "string", "integer", "number", "boolean", "object", "array"]
    out: dict[str, Any] = {"type": sorted(types, key=order.index)}
    if "object" in types and ("properties" in a or "properties" in b or "additionalProperties" in a or "additionalProperties" in b):
        props = dict(a.get("properties", {}))
        for k, v in b.get("properties", {}).items():
            props[k] = merge(props[k], v) if k in props else copy.deepcopy(v)
        out["additionalProperties"] = True
        if props or "properties" in a or "properties" in b:
            out["properties"] = props
    if "array" in types:
        items_a, items_b = a.get("items"), b.get("items")
        if items_a is None or items_b is None:
            out["items"] = copy.deepcopy(items_a if items_b is None else items_b)
        else:
            out["items"] = merge(items_a, items_b)
        if out["items"] is None:
            out["items"] = {}
    return out


def schema_for_value(value: Any, key: str | None = None) -> dict[str, Any]:
    """Schema for a property, derived from its example value."""
    if key in MAP_KEYS:
        return copy.deepcopy(ANY_OBJECT)
    if value is None:
        return {}
    if isinstance(value, bool):
        return {"type": ["null", "boolean"]}
    if isinstance(value, int):
        return {"type": ["null", "number" if key in NUMBER_KEYS else "integer"]}
    if isinstance(value, float):
        return {"type": ["null", "number"]}
    if isinstance(value, str):
        return copy.deepcopy(REFERENCE) if is_reference(key, value) else {"type": ["null", "string"]}
    if isinstance(value, list):
        items: dict[str, Any] | None = None
        for element in value:
            element_schema = schema_for_value(element, key)
            items = element_schema if items is None else merge(items, element_schema)
        return {"type": ["null", "array"], "items": items if items is not None else {}}
    if isinstance(value, dict):
        return {
            "type": ["null", "object"],
            "additionalProperties": True,
            "properties": {k: schema_for_value(v, k) for k, v in value.items()},
        }
    raise TypeError(f"unexpected JSON value {value!r}")


def build_schema(stream: str, fixtures: dict[str, Any]) -> dict[str, Any]:
    object_name, parent_field = STREAMS[stream]
    example = fixtures[object_name]
    properties = schema_for_value(example)["properties"]

    if stream == "events":
        data = properties["data"]
        data["properties"]["object"] = {"type": "object", "additionalProperties": True}
        data["properties"]["previous_attributes"] = {"type": "object", "additionalProperties": True}

    properties.update(copy.deepcopy(CONNECTOR_FIELDS))
    if parent_field and parent_field not in properties:
        properties[parent_field] = {"type": ["null", "string"]}

    return {
        "$schema": JSON_SCHEMA_DRAFT,
        "type": "object",
        "additionalProperties": True,
        "properties": properties,
    }


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def generate() -> dict[str, str]:
    """File name -> expected content, for every stream."""
    fixtures = load_fixtures()
    return {f"{stream}.json": render(build_schema(stream, fixtures)) for stream in sorted(STREAMS)}


def check(schemas_dir: Path = SCHEMAS_DIR) -> list[str]:
    """Schema files that are missing, stale or not generated by this script."""
    expected = generate()
    differing = []
    for name, content in expected.items():
        path = schemas_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            differing.append(str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path))
    if schemas_dir.is_dir():
        for path in sorted(schemas_dir.glob("*.json")):
            if path.name not in expected:
                differing.append(str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path))
    return sorted(differing)


def write(schemas_dir: Path = SCHEMAS_DIR) -> None:
    schemas_dir.mkdir(parents=True, exist_ok=True)
    expected = generate()
    for name, content in expected.items():
        path = schemas_dir / name
        if not path.is_file() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
    for path in schemas_dir.glob("*.json"):
        if path.name not in expected:
            path.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 listing the schema files that differ")
    args = parser.parse_args(argv)
    if args.check:
        differing = check()
        for name in differing:
            print(name)
        if differing:
            print(f"{len(differing)} schema file(s) differ; run: python scripts/generate_schemas.py", file=sys.stderr)
            return 1
        return 0
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
