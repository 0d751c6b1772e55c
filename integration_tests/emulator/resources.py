"""The resource table: one row per stream of integration_tests/stripe_paths.tsv.

Each row says where Stripe serves the objects, what they are built from and how
they behave.  Rows are listed parents-first, which is also the seeding order.
The query parameters a list accepts, and whether it accepts `created`, are Stripe's
API table's for the row's path (api_table.py), not the row's.
"""
from __future__ import annotations

from dataclasses import dataclass

from .api_table import list_endpoint


@dataclass(frozen=True)
class Resource:
    key: str                    # stream name, used as the resource key everywhere
    obj: str                    # fixture object name in fixtures3.json
    prefix: str                 # id prefix
    path: str                   # list path under /v1 ("{id}" = parent id)
    parent: str | None = None   # parent resource key (children only)
    parent_field: str | None = None
    # Does Stripe's list endpoint accept `created`, and which other query params: Stripe's API table says, for the
    # path (`__post_init__`); the row's own values count only for an endpoint the table lacks (usage records).
    created_filter: bool = True
    params: tuple = ()
    deletable: str = ""          # "" = not deletable, "hard" = removed, "soft" = status change
    soft_status: str = ""        # status set by a soft delete
    storage: str = ""            # storage key when objects are shared (payout bts)
    parent_query: str = ""       # child lists addressed by a query param (?payout=)
    embed_in: str = ""           # parent's field holding an embedded list of children
    seed: bool = True

    def __post_init__(self) -> None:
        endpoint = list_endpoint(self.path)
        if endpoint is not None:
            object.__setattr__(self, "created_filter", endpoint.created)
            object.__setattr__(self, "params", endpoint.query_params)

    @property
    def store_key(self) -> str:
        return self.storage or self.key

    @property
    def is_child(self) -> bool:
        return self.parent is not None


def _top(key, obj, prefix, path, params=(), **kw):
    return Resource(key, obj, prefix, path, params=tuple(params), **kw)


def _child(key, obj, prefix, path, parent, parent_field, params=(), created=False, **kw):
    return Resource(key, obj, prefix, path, parent=parent, parent_field=parent_field,
                    created_filter=created, params=tuple(params), deletable=kw.pop("deletable", "hard"), **kw)


RESOURCES: list[Resource] = [
    _top("customers", "customer", "cus_", "customers", ["email", "test_clock"], deletable="hard"),
    _top("products", "product", "prod_", "products", ["active", "ids", "shippable", "url"], deletable="hard"),
    _top("prices", "price", "price_", "prices",
         ["active", "currency", "lookup_keys", "product", "recurring", "type"], deletable="hard"),
    _top("plans", "plan", "price_", "plans", ["active", "product"], deletable="hard"),
    _top("coupons", "coupon", "", "coupons", deletable="hard"),
    _top("tax_rates", "tax_rate", "txr_", "tax_rates", ["active", "inclusive"]),
    _top("shipping_rates", "shipping_rate", "shr_", "shipping_rates", ["active", "currency"]),
    _top("promotion_codes", "promotion_code", "promo_", "promotion_codes",
         ["active", "code", "coupon", "customer"]),
    _top("accounts", "account", "acct_", "accounts", deletable="hard"),
    _top("payment_intents", "payment_intent", "pi_", "payment_intents", ["customer"]),
    _top("charges", "charge", "ch_", "charges", ["customer", "payment_intent", "transfer_group"]),
    _top("balance_transactions", "balance_transaction", "txn_", "balance_transactions",
         ["type", "currency", "source", "payout"]),
    _top("payouts", "payout", "po_", "payouts", ["arrival_date", "destination", "status"],
         deletable="soft", soft_status="canceled"),
    _top("refunds", "refund", "re_", "refunds", ["charge", "payment_intent"]),
    _top("disputes", "dispute", "dp_", "disputes", ["charge", "payment_intent"]),
    _top("early_fraud_warnings", "radar.early_fraud_warning", "issfr_", "radar/early_fraud_warnings",
         ["charge", "payment_intent"]),
    _top("reviews", "review", "prv_", "reviews"),
    _top("application_fees", "application_fee", "fee_", "application_fees", ["charge"]),
    _top("transfers", "transfer", "tr_", "transfers", ["destination", "transfer_group"]),
    _top("top_ups", "topup", "tu_", "topups", ["amount", "status"], deletable="soft", soft_status="canceled"),
    _top("setup_intents", "setup_intent", "seti_", "setup_intents",
         ["attach_to_self", "customer", "payment_method"]),
    _top("subscriptions", "subscription", "sub_", "subscriptions",
         ["automatic_tax", "collection_method", "current_period_end", "current_period_start",
          "customer", "price", "status", "test_clock"], deletable="soft", soft_status="canceled"),
    _top("subscription_schedule", "subscription_schedule", "sub_sched_", "subscription_schedules",
         ["canceled_at", "completed_at", "customer", "released_at", "scheduled"],
         deletable="soft", soft_status="canceled"),
    _top("invoices", "invoice", "in_", "invoices",
         ["collection_method", "customer", "due_date", "status", "subscription"], deletable="hard"),
    _top("invoice_items", "invoiceitem", "ii_", "invoiceitems", ["customer", "invoice", "pending"],
         deletable="hard"),
    _top("credit_notes", "credit_note", "cn_", "credit_notes", ["customer", "invoice"],
         deletable="soft", soft_status="void"),
    _top("quotes", "quote", "qt_", "quotes", ["customer", "status", "test_clock"], created_filter=False,
         deletable="soft", soft_status="canceled"),
    _top("checkout_sessions", "checkout.session", "cs_test_", "checkout/sessions",
         ["customer", "customer_details", "payment_intent", "payment_link", "status", "subscription"]),
    _top("payment_links", "payment_link", "plink_", "payment_links", ["active"], created_filter=False),
    _top("files", "file", "file_", "files", ["purpose"]),
    _top("file_links", "file_link", "link_", "file_links", ["expired", "file"]),
    _top("cardholders", "issuing.cardholder", "ich_", "issuing/cardholders",
         ["email", "phone_number", "status", "type"]),
    _top("cards", "issuing.card", "ic_", "issuing/cards",
         ["cardholder", "exp_month", "exp_year", "last4", "personalization_design", "status", "type"]),
    _top("authorizations", "issuing.authorization", "iauth_", "issuing/authorizations",
         ["card", "cardholder", "status"]),
    _top("transactions", "issuing.transaction", "ipi_", "issuing/transactions", ["card", "cardholder", "type"]),
    _top("value_lists", "radar.value_list", "rsl_", "radar/value_lists", ["alias", "contains"], deletable="hard"),
    # resources added from Stripe's API table (third_party/stripe_python/list_endpoints.tsv)
    _top("billing_credit_grants", "billing.credit_grant", "credgr_", "billing/credit_grants",
         ["customer", "customer_account"], created_filter=False),
    _top("billing_meters", "billing.meter", "mtr_", "billing/meters", ["status"], created_filter=False),
    _top("billing_portal_configurations", "billing_portal.configuration", "bpc_", "billing_portal/configurations",
         ["active", "is_default"], created_filter=False),
    _top("climate_orders", "climate.order", "climorder_", "climate/orders", created_filter=False),
    _top("financial_connections_accounts", "financial_connections.account", "fca_", "financial_connections/accounts",
         ["account_holder", "session"], created_filter=False),
    _top("identity_verification_sessions", "identity.verification_session", "vs_", "identity/verification_sessions",
         ["client_reference_id", "related_customer", "related_customer_account", "status"]),
    _top("issuing_disputes", "issuing.dispute", "idp_", "issuing/disputes", ["status", "transaction"]),
    _top("forwarding_requests", "forwarding.request", "fwdreq_", "forwarding/requests"),
    _top("identity_verification_reports", "identity.verification_report", "vr_", "identity/verification_reports",
         ["client_reference_id", "type", "verification_session"]),
    _top("invoice_payments", "invoice_payment", "inpay_", "invoice_payments", ["invoice", "payment", "status"]),
    _top("reporting_report_runs", "reporting.report_run", "frr_", "reporting/report_runs"),
    _top("treasury_financial_accounts", "treasury.financial_account", "fa_", "treasury/financial_accounts", ["status"]),
    _top("billing_credit_balance_transactions", "billing.credit_balance_transaction", "cbt_",
         "billing/credit_balance_transactions",
         ["credit_grant", "customer", "customer_account"], created_filter=False),
    _top("invoice_rendering_templates", "invoice_rendering_template", "inrtem_", "invoice_rendering_templates",
         ["status"], created_filter=False),
    _top("issuing_personalization_designs", "issuing.personalization_design", "ipcd_",
         "issuing/personalization_designs",
         ["lookup_keys", "preferences", "status"], created_filter=False),
    _top("payment_method_domains", "payment_method_domain", "pmd_", "payment_method_domains",
         ["domain_name", "enabled"], created_filter=False),
    _top("payment_records", "payment_record", "pr_", "payment_records",
         ["created_after", "created_before"], created_filter=False),
    _top("sigma_scheduled_query_runs", "scheduled_query_run", "sqr_",
         "sigma/scheduled_query_runs", created_filter=False),
    _top("tax_registrations", "tax.registration", "taxreg_", "tax/registrations", ["status"], created_filter=False),
    _top("billing_alerts", "billing.alert", "alrt_", "billing/alerts", ["alert_type", "meter"], created_filter=False),
    _top("entitlements_features", "entitlements.feature", "feat_", "entitlements/features",
         ["archived", "lookup_key"], created_filter=False),
    _top("issuing_physical_bundles", "issuing.physical_bundle", "ics_", "issuing/physical_bundles",
         ["status", "type"], created_filter=False),
    _top("payment_method_configurations", "payment_method_configuration", "pmc_", "payment_method_configurations",
         ["active", "application"], created_filter=False),
    _top("terminal_configurations", "terminal.configuration", "tmc_", "terminal/configurations",
         ["is_account_default"], created_filter=False),
    _top("terminal_locations", "terminal.location", "tml_", "terminal/locations", created_filter=False),
    _top("terminal_readers", "terminal.reader", "tmr_", "terminal/readers",
         ["device_type", "location", "serial_number", "status"], created_filter=False),
    _top("apps_installs", "apps.install", "appinst_", "apps/installs",
         ["account", "app", "approval_required", "channel", "created_by", "status"]),
    _top("billing_feedback_options", "billing.feedback_option", "fo_", "billing/feedback_options", ["status"],
         created_filter=False),
    _top("product_catalog_trial_offers", "product_catalog.trial_offer", "to_", "product_catalog/trial_offers",
         ["active", "prices"]),
    _top("tax_ids", "tax_id", "txi_", "tax_ids", ["owner"], created_filter=False),
    _top("tax_locations", "tax.location", "taxloc_", "tax/locations", ["type"], created_filter=False),
    _top("three_d_secure_authentications", "three_d_secure.authentication", "threeds_",
         "three_d_secure/authentications", ["status"]),
    _top("treasury_payment_methods", "payment_method", "pm_", "payment_methods",
         ["allow_redisplay", "customer", "customer_account", "type"], created_filter=False),
    _top("events", "event", "evt_", "events", ["type", "types", "delivery_success"], seed=False),
    # children
    _child("account_capabilities", "capability", "cap_", "accounts/{id}/capabilities",
           "accounts", "account"),
    _child("customer_cash_balance_transactions", "customer_cash_balance_transaction", "ccsbtxn_", "customers/{id}/cash_balance_transactions",
           "customers", "customer"),
    _child("customer_tax_ids", "tax_id", "txi_", "customers/{id}/tax_ids",
           "customers", "customer"),
    _child("payment_intent_amount_details_line_items", "payment_intent_amount_details_line_item", "uli_", "payment_intents/{id}/amount_details_line_items",
           "payment_intents", "payment_intent"),
    _child("payment_link_line_items", "item", "li_", "payment_links/{id}/line_items",
           "payment_links", "payment_link"),
    _child("product_features", "product_feature", "prodft_", "products/{id}/features",
           "products", "product"),
    _child("quote_computed_upfront_line_items", "item", "li_", "quotes/{id}/computed_upfront_line_items",
           "quotes", "quote"),
    _child("quote_line_items", "item", "li_", "quotes/{id}/line_items",
           "quotes", "quote"),
    _child("application_fees_refunds", "fee_refund", "fr_", "application_fees/{id}/refunds",
           "application_fees", "fee"),
    _child("bank_accounts", "bank_account", "ba_", "customers/{id}/sources", "customers", "customer",
           ["object"]),
    _child("customer_cards", "card", "card_", "customers/{id}/sources", "customers", "customer", ["object"]),
    _child("checkout_sessions_line_items", "item", "li_", "checkout/sessions/{id}/line_items",
           "checkout_sessions", "checkout_session"),
    _child("credit_note_line_items", "credit_note_line_item", "cnli_", "credit_notes/{id}/lines",
           "credit_notes", "credit_note", embed_in="lines"),
    _child("customer_balance_transactions", "customer_balance_transaction", "cbtxn_",
           "customers/{id}/balance_transactions", "customers", "customer"),
    _child("external_account_bank_accounts", "bank_account", "ba_", "accounts/{id}/external_accounts",
           "accounts", "account", ["object"]),
    _child("external_account_cards", "card", "card_", "accounts/{id}/external_accounts", "accounts",
           "account", ["object"]),
    _child("invoice_line_items", "line_item", "il_", "invoices/{id}/lines", "invoices", "invoice",
           embed_in="lines"),
    _child("payment_methods", "payment_method", "pm_", "customers/{id}/payment_methods", "customers",
           "customer", ["type", "allow_redisplay"]),
    _child("payout_balance_transactions", "balance_transaction", "txn_", "balance_transactions",
           "payouts", "payout", ["type", "currency", "source", "payout"], created=True,
           storage="balance_transactions", parent_query="payout"),
    _child("persons", "person", "person_", "accounts/{id}/persons", "accounts", "account",
           ["relationship"]),
    _child("setup_attempts", "setup_attempt", "setatt_", "setup_attempts", "setup_intents", "setup_intent",
           ["setup_intent"], created=True, parent_query="setup_intent"),
    _child("subscription_items", "subscription_item", "si_", "subscription_items", "subscriptions",
           "subscription", ["subscription"], parent_query="subscription", embed_in="items"),
    _child("transfer_reversals", "transfer_reversal", "trr_", "transfers/{id}/reversals", "transfers",
           "transfer", embed_in="reversals"),
    _child("usage_records", "usage_record_summary", "sis_", "subscription_items/{id}/usage_record_summaries",
           "subscription_items", "subscription_item"),
    _child("value_list_items", "radar.value_list_item", "rsli_", "radar/value_list_items", "value_lists",
           "value_list", ["value_list", "value"], parent_query="value_list"),
    _child("entitlements_active_entitlements", "entitlements.active_entitlement", "ent_",
           "entitlements/active_entitlements", "customers", "customer", ["customer"], parent_query="customer"),
    _child("financial_connections_transactions", "financial_connections.transaction", "fctxn_",
           "financial_connections/transactions", "financial_connections_accounts", "account",
           ["account", "transacted_at", "transaction_refresh"], parent_query="account"),
    # Stripe deletes no token: its status is updated to `deleted` (the SDK's TokenUpdateParams.status).
    _child("issuing_tokens", "issuing.token", "intok_", "issuing/tokens", "cards", "card", ["card", "status"],
           created=True, parent_query="card", deletable="soft", soft_status="deleted"),
    _child("payment_attempt_records", "payment_attempt_record", "par_", "payment_attempt_records", "payment_records",
           "payment_record", ["payment_record"], parent_query="payment_record"),
    _child("treasury_credit_reversals", "treasury.credit_reversal", "credrev_", "treasury/credit_reversals",
           "treasury_financial_accounts", "financial_account", ["financial_account", "received_credit", "status"],
           parent_query="financial_account"),
    _child("treasury_debit_reversals", "treasury.debit_reversal", "debrev_", "treasury/debit_reversals",
           "treasury_financial_accounts", "financial_account",
           ["financial_account", "received_debit", "resolution", "status"], parent_query="financial_account"),
    _child("treasury_inbound_transfers", "treasury.inbound_transfer", "ibt_", "treasury/inbound_transfers",
           "treasury_financial_accounts", "financial_account", ["financial_account", "status"],
           parent_query="financial_account"),
    _child("treasury_outbound_payments", "treasury.outbound_payment", "obp_", "treasury/outbound_payments",
           "treasury_financial_accounts", "financial_account", ["customer", "financial_account", "status"],
           created=True, parent_query="financial_account"),
    _child("treasury_outbound_transfers", "treasury.outbound_transfer", "obt_", "treasury/outbound_transfers",
           "treasury_financial_accounts", "financial_account", ["financial_account", "status"],
           parent_query="financial_account"),
    _child("treasury_received_credits", "treasury.received_credit", "rc_", "treasury/received_credits",
           "treasury_financial_accounts", "financial_account", ["financial_account", "linked_flows", "status"],
           parent_query="financial_account"),
    _child("treasury_received_debits", "treasury.received_debit", "rd_", "treasury/received_debits",
           "treasury_financial_accounts", "financial_account", ["financial_account", "status"],
           parent_query="financial_account"),
    _child("treasury_transaction_entries", "treasury.transaction_entry", "trxne_", "treasury/transaction_entries",
           "treasury_financial_accounts", "financial_account",
           ["effective_at", "financial_account", "order_by", "transaction"], created=True,
           parent_query="financial_account"),
    _child("treasury_transactions", "treasury.transaction", "trxn_", "treasury/transactions",
           "treasury_financial_accounts", "financial_account",
           ["financial_account", "order_by", "status", "status_transitions"], created=True,
           parent_query="financial_account"),
]

BY_KEY: dict[str, Resource] = {r.key: r for r in RESOURCES}
TOP_LEVEL = [r for r in RESOURCES if not r.is_child]
CHILDREN = [r for r in RESOURCES if r.is_child]
# resources living in the platform account only (not seeded into connected accounts)
PLATFORM_ONLY = {"accounts", "account_capabilities", "persons", "external_account_bank_accounts",
                 "external_account_cards", "application_fees", "application_fees_refunds"}
ISSUING = {"cardholders", "cards", "authorizations", "transactions"}
CONNECT = {"accounts", "persons", "external_account_bank_accounts", "external_account_cards"}
# objects Stripe keeps as `{"id", "object", "deleted": true}` stubs after deletion
STUB_ON_DELETE = {"customers"}
# list params every list endpoint accepts
COMMON_PARAMS = {"limit", "starting_after", "ending_before", "expand"}


def resource(key: str) -> Resource:
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown resource {key!r}; known: {', '.join(BY_KEY)}") from None


def noun(res: Resource) -> str:
    """The object name Stripe uses in 'No such <noun>' messages."""
    return res.obj
