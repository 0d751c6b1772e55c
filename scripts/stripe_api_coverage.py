"""Our decisions about Stripe's API table (third_party/stripe_python/): the endpoints that are no stream and why,
and the exceptions to what the table says. unit_tests/test_stripe_api_table.py holds the manifest to the table
with these, and scripts/readme_tables.py shows them in the README.
"""

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
    "reporting/report_types": "static reference data",
    "sources/{source}/source_transactions": "its parent, the Sources API, is deprecated and not listable",
    "tax/calculations/{calculation}/line_items": "its parent is not listable (calculations are retrieved by id)",
    "tax/transactions/{transaction}/line_items": "its parent is not listable (tax transactions are retrieved by id)",
    "tax_codes": "static reference data",
    "test_helpers/test_clocks": "test mode only",
    "webhook_endpoints": "configuration",
}
# Endpoints a data team expects that are no stream yet: issue 9 builds them. Each entry must stay true: the test
# below fails when one of them becomes a stream, so that it leaves this list.
NOT_YET_STREAMED = {
    "apps/installs", "billing/feedback_options", "entitlements/active_entitlements",
    "financial_connections/accounts/{account}/owners", "financial_connections/transactions", "issuing/tokens",
    "payment_attempt_records", "payment_methods", "product_catalog/trial_offers", "tax/locations", "tax_ids",
    "three_d_secure/authentications", "treasury/credit_reversals", "treasury/debit_reversals",
    "treasury/inbound_transfers", "treasury/outbound_payments", "treasury/outbound_transfers",
    "treasury/received_credits", "treasury/received_debits", "treasury/transaction_entries", "treasury/transactions",
}
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


# Lists that Stripe documents as returning only some objects unless asked: the words of the documentation that say
# so, and the query that reads everything (None: not overridden yet, with the reason).
DEFAULT_FILTERS = {
    "subscriptions": ("have not been canceled", {"status": "all"}),
    "prices": ("your active prices", None),
    "reviews": ("open set to true", None),
}
DEFAULT_FILTER_GAPS = {
    "prices": "archived prices are read only through their events (price.updated); issue 9 lists active=false too",
    "reviews": "Stripe has no filter for closed reviews: they arrive only through review.closed events",
}
