"""An error Stripe gives for some parents only skips those parents, each named in a WARN: the stream completes with
the other parents' children and the sync exits 0. A key-wide refusal (a restricted key missing a permission) still
fails the stream."""

from __future__ import annotations

import calendar
import time

from integration_tests.connector import configured_catalog, emulator_config, run_connector
from integration_tests.emulator import Emulator
from integration_tests.truth import expected_ids

START_TS = calendar.timegm(time.strptime("2025-01-01T00:00:00Z", "%Y-%m-%dT%H:%M:%SZ"))


def _account_with_persons(store) -> str:
    return next(a for a in sorted(expected_ids(store, "accounts", START_TS)) if store.children_of("persons", a))


def test_persons_of_an_account_the_platform_may_not_read_are_skipped_with_a_warning():
    with Emulator(seed=21, scale=3) as emulator:
        store = emulator.store
        unreadable = _account_with_persons(store)
        emulator.settings(unreadable_children={unreadable: ["persons"]})
        run = run_connector("read", emulator_config(emulator.url), configured_catalog({"persons": "full_refresh"}))
        assert run.returncode == 0, run.stderr
        assert run.errors() == []
        hidden = {person["id"] for person in store.children_of("persons", unreadable)}
        readable = expected_ids(store, "persons", START_TS) - hidden
        assert readable, "no other account has persons: the test would prove nothing"
        assert run.ids("persons") == readable
        warnings = [m for m in run.logs("WARN") if f"/v1/accounts/{unreadable}/persons" in m]
        assert len(warnings) == 1 and "persons" in warnings[0] and "does not have access" in warnings[0], run.logs("WARN")


def test_a_restricted_key_without_the_capabilities_permission_fails_the_capabilities_stream():
    # Stripe's connected_account_read covers accounts and their persons; capabilities keep the emulator's own
    # permission (integration_tests/emulator/auth.py), which this key lacks.
    key = "rk_test_emulator_no_capabilities"
    with Emulator(seed=21, scale=3) as emulator:
        emulator.settings(restricted_keys={key: ["accounts"]})
        catalog = configured_catalog({"account_capabilities": "full_refresh", "accounts": "full_refresh"})
        run = run_connector("read", emulator_config(emulator.url, credentials={"access_token": key}), catalog)
        assert run.returncode == 1
        assert run.ids("accounts") == expected_ids(emulator.store, "accounts", START_TS)
        assert run.records.get("account_capabilities", []) == []
        assert any(
            "rak_account_capabilities_read" in e["message"] and "account_capabilities" in e["message"] for e in run.errors()
        ), run.errors()
        assert key not in run.stdout + run.stderr
