"""Our decisions about Stripe's API table (third_party/stripe_python/): the endpoints that are no stream and why,
and the exceptions to what the table says. unit_tests/test_stripe_api_table.py holds the manifest to the table
with these, and scripts/readme_tables.py shows them in the README.
"""

from typing import Set

# Endpoints of the table that are no stream, each with its reason.
SKIPPED = {
    "apple_pay/domains": "configuration",
    "apps/secrets": "needs a value no sync can know (the secrets' `scope`)",
    "billing/meters/{id}/event_summaries": "needs values no sync can know (customer, start and end time)",
    "climate/products": "static reference data (the products Stripe offers)",
    "climate/suppliers": "static reference data (the suppliers Stripe works with)",
    "country_specs": "static reference data",
    "credit_notes/preview/lines": "a preview for a given invoice, not stored objects",
    "exchange_rates": "deprecated (its documentation says so) and reference data",
    "financial_connections/accounts/{account}/owners": "lists the owners one ownership refresh found: it needs that "
                                                       "refresh's id (`ownership`) besides the account's, and a child "
                                                       "stream passes only its parent's id",
    "reporting/report_types": "static reference data",
    "sources/{source}/source_transactions": "its parent, the Sources API, is deprecated and not listable",
    "tax/calculations/{calculation}/line_items": "its parent is not listable (calculations are retrieved by id)",
    "tax/transactions/{transaction}/line_items": "its parent is not listable (tax transactions are retrieved by id)",
    "tax_codes": "static reference data",
    "test_helpers/test_clocks": "test mode only",
    "webhook_endpoints": "configuration",
}
# Endpoints a data team expects that are no stream yet (none since issue 9 streamed them). Each entry must stay true:
# the test fails when one of them becomes a stream, so that it leaves this list.
NOT_YET_STREAMED: Set[str] = set()
# Streams whose endpoint the current API version no longer has, and how they still read it.
REMOVED_ENDPOINTS = {
    "usage_records": "legacy usage-based billing, gone from 2025-03-31.basil on (billing meters replace it): its "
                     "requests pin 2025-02-24.acacia, which still serves it",
}
# Event types a stream reads although the table names no object (or another) for them, each with its reason.
EVENT_EXCEPTIONS = {
    ("bank_accounts", "customer.source.created"): "carries a bank account, a card or a source (filtered by object)",
    ("bank_accounts", "customer.source.deleted"): "the same",
    ("bank_accounts", "customer.source.updated"): "the same",
    ("customer_cards", "customer.source.created"): "the same",
    ("customer_cards", "customer.source.deleted"): "the same",
    ("customer_cards", "customer.source.expiring"): "the same",
    ("customer_cards", "customer.source.updated"): "the same",
}
# Event types of another object that re-read a stream's objects (the row's `reread_on`): the object the event carries
# (the table must say so), and why the stream's own events do not suffice.
REREAD_EVENTS = {
    ("customers", "customer.discount.created"): (
        "discount", "a customer's discount changes send customer.discount.* (a discount), not customer.updated"),
    ("customers", "customer.discount.deleted"): ("discount", "the same"),
    ("customers", "customer.discount.updated"): ("discount", "the same"),
    ("invoice_items", "invoice.updated"): (
        "invoice", "invoiceitem.updated is gone: an item's change shows as its invoice's invoice.updated"),
    ("refunds", "charge.refunded"): (
        "charge", "before API version 2024-10-28 a charge's new refund sends only charge.refunded "
                  "(https://docs.stripe.com/changelog/acacia/2024-10-28/refund-webhook-update)"),
}


# Lists that Stripe documents as returning only some objects unless asked (the doc column of the table): the words of
# the documentation that say so, and the row parameters of the stream that read the rest (manifest.yaml):
# - `query`: sent with the list (subscriptions: `status=all` lists canceled ones too);
# - `also_query`: each window is read a second time with it (prices: `active=false`, the archived ones);
# - `embedded_in`: the objects the list leaves out are read, expanded, from another list of the same windows
#   (reviews: Stripe has no filter for closed ones, so they are read from the charges, `expand[]=data.review`).
# The other streamed lists with such a filter document none by default: `billing/alerts` lists "active and inactive
# alerts"; the `active`, `archived` or `status` parameters of plans, products, shipping and tax rates, promotion
# codes, payment links, portal and payment method configurations, entitlements features and invoice rendering
# templates narrow the list when sent ("Only return … that are active or inactive", "If set, filter results …"), and
# their lists' documentation names no default ("List all templates"). `entitlements/active_entitlements` (a
# customer's active entitlements, by design) is no stream.
DEFAULT_FILTERS = {
    "subscriptions": ("have not been canceled", {"query": {"status": "all"}}),
    "prices": ("your active prices", {"also_query": {"active": "false"}}),
    "reviews": ("open set to true", {"embedded_in": {"path": "charges", "field": "review", "unless": {"open": True}}}),
}
# Default filters not overridden yet, each with its reason (the test requires one where a stream reads only some).
DEFAULT_FILTER_GAPS: dict = {}
