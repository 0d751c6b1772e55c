"""Which events Stripe sends when an object is created, updated or deleted.

One entry per resource.  `None` means Stripe sends no event for that action.
`status` maps the object's status after an update to a more specific event type.
Children that have no events of their own name the ancestor whose update event
is sent instead (`via`) and that event's type (`parent_event`).
"""
from __future__ import annotations

API_VERSION = "2025-09-30.clover"


def _crud(name, delete=True):
    return {"create": f"{name}.created", "update": f"{name}.updated",
            "delete": f"{name}.deleted" if delete else None}


EVENT_TYPES: dict[str, dict] = {
    "charges": {"create": "charge.succeeded", "update": "charge.updated", "delete": None,
                "status": {"failed": "charge.failed", "pending": "charge.pending"}},
    # A customer's discount changes send customer.discount.* (the discount, with its `customer`), not
    # customer.updated (Store.set_discount).
    "customers": _crud("customer") | {"discount": _crud("customer.discount")},
    "invoices": _crud("invoice") | {"status": {"paid": "invoice.paid", "void": "invoice.voided",
                                               "open": "invoice.finalized",
                                               "uncollectible": "invoice.marked_uncollectible"}},
    "invoice_items": {"create": "invoiceitem.created", "update": None, "delete": "invoiceitem.deleted",
                      "update_parent": ("invoice", "invoices", "invoice.updated")},
    "subscriptions": _crud("customer.subscription"),
    "subscription_schedule": {"create": "subscription_schedule.created", "update": "subscription_schedule.updated",
                              "delete": "subscription_schedule.canceled",
                              "status": {"released": "subscription_schedule.released",
                                         "completed": "subscription_schedule.completed"}},
    "coupons": _crud("coupon"), "plans": _crud("plan"), "prices": _crud("price"), "products": _crud("product"),
    "promotion_codes": _crud("promotion_code", delete=False),
    "tax_rates": _crud("tax_rate", delete=False),
    "payment_links": _crud("payment_link", delete=False),
    "cards": _crud("issuing_card", delete=False),
    "cardholders": _crud("issuing_cardholder", delete=False),
    "authorizations": _crud("issuing_authorization", delete=False),
    "transactions": _crud("issuing_transaction", delete=False),
    "early_fraud_warnings": _crud("radar.early_fraud_warning", delete=False),
    "payment_intents": {"create": "payment_intent.created", "update": "payment_intent.processing", "delete": None,
                        "status": {"succeeded": "payment_intent.succeeded", "canceled": "payment_intent.canceled",
                                   "processing": "payment_intent.processing",
                                   "requires_action": "payment_intent.requires_action",
                                   "requires_capture": "payment_intent.amount_capturable_updated",
                                   "requires_payment_method": "payment_intent.payment_failed"}},
    "setup_intents": {"create": "setup_intent.created", "update": "setup_intent.succeeded", "delete": None,
                      "status": {"canceled": "setup_intent.canceled",
                                 "requires_action": "setup_intent.requires_action",
                                 "requires_payment_method": "setup_intent.setup_failed"}},
    "checkout_sessions": {"create": None, "update": "checkout.session.completed", "delete": None,
                          "status": {"expired": "checkout.session.expired"}},
    "credit_notes": {"create": "credit_note.created",
                     "update": "credit_note.updated", "delete": "credit_note.voided"},
    "disputes": {"create": "charge.dispute.created", "update": "charge.dispute.updated", "delete": None,
                 "status": {"won": "charge.dispute.closed", "lost": "charge.dispute.closed"}},
    "payouts": {"create": "payout.created", "update": "payout.updated", "delete": "payout.canceled",
                "status": {"paid": "payout.paid", "failed": "payout.failed"}},
    # Before 2024-10-28.acacia a charge's refund sends only its charge's events: charge.refunded (the charge) on
    # creation, charge.refund.updated on an update
    # (https://docs.stripe.com/changelog/acacia/2024-10-28/refund-webhook-update).
    "refunds": {"create": "refund.created", "update": "refund.updated", "delete": None,
                "before": ("2024-10-28", {"create": ("charge", "charges", "charge.refunded"),
                                          "update": "charge.refund.updated"})},
    "reviews": {"create": "review.opened", "update": "review.closed", "delete": None},
    "top_ups": {"create": "topup.created", "update": "topup.succeeded", "delete": "topup.canceled",
                "status": {"failed": "topup.failed", "reversed": "topup.reversed"}},
    "transfers": {"create": "transfer.created", "update": "transfer.updated", "delete": None},
    "application_fees": {"create": "application_fee.created", "update": "application_fee.refunded", "delete": None},
    "quotes": {"create": "quote.created", "update": "quote.finalized", "delete": "quote.canceled",
               "status": {"accepted": "quote.accepted", "open": "quote.finalized"}},
    "accounts": {"create": "account.updated", "update": "account.updated",
                 "delete": "account.application.deauthorized"},
    "persons": _crud("person"),
    "external_account_bank_accounts": _crud("account.external_account"),
    "external_account_cards": _crud("account.external_account"),
    "bank_accounts": _crud("customer.source"),
    "customer_cards": _crud("customer.source"),
    "customer_tax_ids": _crud("customer.tax_id"),
    "payment_methods": {"create": "payment_method.attached", "update": "payment_method.updated",
                        "delete": "payment_method.detached"},
    "files": {"create": "file.created", "update": None, "delete": None},
    # Stripe sends no events for these
    "file_links": {}, "shipping_rates": {}, "balance_transactions": {}, "value_lists": {},
    "value_list_items": {}, "events": {},
    # children without events: their ancestor's update event carries the ancestor's snapshot
    "invoice_line_items": {"via": "invoices", "parent_event": "invoice.updated"},
    "subscription_items": {"via": "subscriptions", "parent_event": "customer.subscription.updated"},
    "usage_records": {"via": "subscriptions", "parent_event": "customer.subscription.updated"},
    "credit_note_line_items": {"via": "credit_notes", "parent_event": "credit_note.updated"},
    "checkout_sessions_line_items": {"via": "checkout_sessions", "parent_event": "checkout.session.completed"},
    "customer_balance_transactions": {"via": "customers", "parent_event": "customer.updated"},
    "transfer_reversals": {"via": "transfers", "parent_event": "transfer.reversed"},
    "application_fees_refunds": {"via": "application_fees", "parent_event": "application_fee.refunded"},
    "setup_attempts": {"via": "setup_intents", "parent_event": "setup_intent.succeeded"},
    "payout_balance_transactions": {"via": "payouts", "parent_event": "payout.updated"},
    # resources added from Stripe's API table: the events it lists for their objects
    "billing_credit_grants": {"create": "billing.credit_grant.created",
                              "update": "billing.credit_grant.updated", "delete": None},
    "billing_meters": {"create": "billing.meter.created", "update": "billing.meter.updated", "delete": None},
    "billing_portal_configurations": {"create": "billing_portal.configuration.created",
                                      "update": "billing_portal.configuration.updated", "delete": None},
    "climate_orders": {"create": "climate.order.created", "update": None, "delete": None},
    "financial_connections_accounts": {"create": "financial_connections.account.created",
                                       "update": None, "delete": None},
    "identity_verification_sessions": {"create": "identity.verification_session.created",
                                       "update": None, "delete": None},
    "issuing_disputes": {"create": "issuing_dispute.created", "update": "issuing_dispute.updated", "delete": None},
    "apps_installs": {"create": "apps.install.created", "update": "apps.install.updated", "delete": None},
    "three_d_secure_authentications": {"create": None, "update": None, "delete": None,
                                       "status": {"canceled": "three_d_secure.authentication.canceled",
                                                  "failed": "three_d_secure.authentication.failed",
                                                  "succeeded": "three_d_secure.authentication.succeeded"}},
    "treasury_payment_methods": {"create": None, "update": "payment_method.updated", "delete": None},
    "issuing_tokens": {"create": "issuing_token.created", "update": "issuing_token.updated",
                       "delete": "issuing_token.updated"},
    "financial_connections_transactions": {"via": "financial_connections_accounts",
                                           "parent_event": "financial_connections.account.refreshed_transactions"},
    **{f"treasury_{flow}s": {"create": f"treasury.{flow}.created", "update": None, "delete": None}
       for flow in ("credit_reversal", "debit_reversal", "inbound_transfer", "outbound_payment", "outbound_transfer",
                    "received_credit", "received_debit")},
    # Stripe sends no events for these (or none that carry them: `entitlements.active_entitlement_summary.updated`)
    "billing_feedback_options": {}, "product_catalog_trial_offers": {}, "tax_ids": {}, "tax_locations": {},
    "entitlements_active_entitlements": {}, "payment_attempt_records": {}, "treasury_transaction_entries": {},
    "treasury_transactions": {},
}


def event_type(resource_key: str, action: str, obj: dict | None = None, api_version: str = API_VERSION):
    """The event type for `action` ("create" | "update" | "delete") on a resource at an account's `api_version`: a
    type, a `(field, resource, type)` triple (the event of the object `field` names, sent instead), or None."""
    entry = EVENT_TYPES.get(resource_key, {})
    before, older = entry.get("before", ("", {}))
    if api_version < before and action in older:
        return older[action]
    if action == "update" and obj is not None:
        by_status = entry.get("status", {})
        if obj.get("status") in by_status:
            return by_status[obj["status"]]
    return entry.get(action)


def make_event(event_id: str, type_: str, snapshot: dict, created: int, request_id: str | None,
               previous_attributes: dict | None = None, account: str | None = None,
               api_version: str = API_VERSION) -> dict:
    data = {"object": snapshot}
    if previous_attributes:
        data["previous_attributes"] = previous_attributes
    event = {"id": event_id, "object": "event", "api_version": api_version, "created": created,
             "data": data, "livemode": False, "pending_webhooks": 0,
             "request": {"id": request_id, "idempotency_key": None}, "type": type_}
    if account:
        event["account"] = account
    return event


def type_matches(type_: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return type_.startswith(pattern[:-1])
    return type_ == pattern
