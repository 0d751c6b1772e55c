"""Demo: a sync of a few streams against the bundled Stripe emulator (no Stripe key needed).

    python scripts/demo.py [--scale 20]

Starts the emulator on 127.0.0.1, runs `main.py check` and `main.py read` exactly as Airbyte or a user would,
and prints what was read: records per stream, a sample record, and the state for the next sync. Then it changes a
few objects in the emulator (as a Stripe user would: update a customer, add and remove invoice lines) and runs an
incremental read from that state, which reads Stripe's events and prints only what changed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from integration_tests.connector import configured_catalog, emulator_config, run_connector  # noqa: E402
from integration_tests.emulator import Emulator  # noqa: E402

DEMO_BINDINGS = {
    "charges": "incremental",
    "customers": "incremental",
    "customer_balance_transactions": "incremental",
    "invoices": "incremental",
    "invoice_line_items": "incremental",
    "balance_transactions": "incremental",
    "events": "incremental",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=20, help="objects per resource in the emulator")
    args = parser.parse_args()

    with Emulator(seed=42, scale=args.scale) as emulator:
        config = emulator_config(emulator.url)
        print(f"Stripe emulator on {emulator.url} ({args.scale} objects per resource)")
        print("config:", json.dumps({**config, "credentials": {"access_token": "sk_test_…"}}))

        check = run_connector("check", config)
        print("check:", check.connection_status()["status"])

        run = run_connector("read", config, configured_catalog(DEMO_BINDINGS))
        counts = Counter(m["record"]["stream"] for m in run.of_type("RECORD"))
        print(f"\nread exited {run.returncode}; records per stream:")
        for stream in DEMO_BINDINGS:
            print(f"  {stream:32} {counts.get(stream, 0):6}  ({DEMO_BINDINGS[stream]})")
        sample = run.records.get("invoice_line_items", [{}])[0]
        print("\nsample invoice_line_items record (parent field `invoice` set):")
        print("  " + json.dumps({k: sample.get(k) for k in ("id", "object", "invoice", "amount", "currency")}))
        print("\nstate for the next sync:")
        for state in run.final_state():
            print("  " + json.dumps(state["stream"]))
        for error in run.errors():
            print("error:", error["message"])
        if run.returncode:
            return run.returncode
        return incremental_demo(emulator, config, run)


def incremental_demo(emulator: Emulator, config: dict, first) -> int:
    """Changes a customer and an invoice's lines, then reads from the first read's state."""
    store = emulator.store
    while store.clock.now() <= max(s["stream"]["stream_state"].get("updated", 0) for s in first.final_state()):
        time.sleep(0.2)  # changes after the saved cursor
    customer = first.records["customers"][0]["id"]
    store.update("customers", customer, {"email": "changed@example.com"})
    invoice = next(r["invoice"] for r in first.records["invoice_line_items"])
    removed = store.children_of("invoice_line_items", invoice)[0]["id"]
    store.delete("invoice_line_items", removed)
    added = store.create("invoice_line_items", parent_id=invoice)["id"]
    print(f"\nchanged in Stripe: customer {customer} (email), invoice {invoice}: line {added} added, {removed} removed")

    run = run_connector("read", config, configured_catalog(DEMO_BINDINGS), first.final_state())
    print(f"incremental read exited {run.returncode}; records (from /v1/events, then the changed invoice's lines):")
    for stream in ("customers", "invoices", "invoice_line_items"):
        for record in run.records.get(stream, []):
            print(f"  {stream:20} {record['id']}  updated={record['updated']}  is_deleted={record['is_deleted']}")
    for error in run.errors():
        print("error:", error["message"])
    return run.returncode


if __name__ == "__main__":
    sys.exit(main())
