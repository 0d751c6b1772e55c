"""source_stripe/permissions.py: what Stripe's 403 says a restricted key lacks, which list each stream is probed by,
the probe itself (requests-mock) and the catalog a restricted key keeps."""

from __future__ import annotations

import re
import threading
import time

import pytest
import requests
from airbyte_cdk.models import AirbyteCatalog, AirbyteStream, SyncMode

from helpers import API, page, params, stripe_error
from source_stripe.manifest import resolved_manifest
from source_stripe.permissions import (
    PermissionProbe,
    ProbeTarget,
    Refusal,
    RequestPacer,
    RestrictedCatalog,
    missing_permission,
    probe_rate,
    probe_targets,
)

RK = "rk_test_RESTRICTED987"


def refused(permission: str, key_tail: str = "E987"):
    """Stripe's 403 to a restricted key lacking `permission`, quoting the key masked."""
    return stripe_error(
        403,
        f"The provided key 'rk_test_*****{key_tail}' does not have the required permissions for this endpoint on "
        f"account 'acct_1'. Having the '{permission}' permission would allow this request to continue.",
    )


def rk_config(**overrides):
    return {"credentials": {"access_token": RK}, "num_workers": 4, "call_rate_limit": 1000, **overrides}


def no_wait_probe(config) -> PermissionProbe:
    return PermissionProbe(config, pacer=RequestPacer(1000, sleep=lambda _seconds: None))


# --- Stripe's message ------------------------------------------------------------------------------------------


def test_the_missing_permission_is_the_rak_name_stripe_quotes():
    message = refused("rak_charge_read")["json"]["error"]["message"]
    assert missing_permission(message) == "rak_charge_read"


def test_a_message_naming_no_permission_names_none():
    assert missing_permission("The provided key does not have access to account 'acct_1'.") is None
    assert missing_permission("") is None


# --- what each stream is probed by -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def targets():
    return probe_targets(resolved_manifest()["streams"])


def test_a_top_level_stream_is_probed_by_its_own_list_with_its_query(targets):
    assert targets["charges"] == ProbeTarget("charges")
    assert targets["subscriptions"] == ProbeTarget("subscriptions", (("status", "all"),))
    assert targets["subscriptions"].params() == {"status": "all", "limit": "1"}
    assert targets["tax_locations"].path == "tax/locations?type=performance"


def test_a_child_is_probed_by_its_root_parents_list(targets):
    assert targets["persons"] == ProbeTarget("accounts", via="accounts")
    assert targets["bank_accounts"] == ProbeTarget("customers", via="customers")
    assert targets["payout_balance_transactions"] == ProbeTarget("payouts", via="payouts")
    # usage records are listed per subscription item, themselves listed per subscription
    assert targets["usage_records"] == ProbeTarget("subscriptions", (("status", "all"),), via="subscriptions")


def test_every_stream_has_a_probe_and_no_probe_needs_a_parent_id(targets):
    assert len(targets) == len(resolved_manifest()["streams"])
    assert not [name for name, target in targets.items() if "{{" in target.path]


# --- pacing ----------------------------------------------------------------------------------------------------


def test_the_pacer_spaces_requests_by_the_rate():
    now = [100.0]
    sleeps = []
    pacer = RequestPacer(10, clock=lambda: now[0], sleep=sleeps.append)
    for _ in range(3):
        pacer.wait()
    assert sleeps == pytest.approx([0.1, 0.2])


def test_the_probe_rate_is_the_call_rate_limit_else_stripes_limit_for_the_keys_mode():
    assert probe_rate({"credentials": {"access_token": RK}, "call_rate_limit": 7}) == 7
    assert probe_rate({"credentials": {"access_token": RK}}) == 25
    assert probe_rate({"credentials": {"access_token": "rk_live_X"}}) == 100


# --- the probe -------------------------------------------------------------------------------------------------


def test_the_probe_names_the_refused_streams_with_stripes_permission(stripe):
    stripe.get(f"{API}/charges", [page([])])
    stripe.get(f"{API}/accounts", [refused("rak_connected_account_read")])
    targets = {
        "charges": ProbeTarget("charges"),
        "accounts": ProbeTarget("accounts"),
        "persons": ProbeTarget("accounts", via="accounts"),
    }
    refusals = no_wait_probe(rk_config()).refusals(targets)
    assert refusals == {
        "accounts": Refusal("accounts", "rak_connected_account_read"),
        "persons": Refusal("persons", "rak_connected_account_read", via="accounts"),
    }


def test_each_distinct_list_is_asked_once_with_limit_1_and_the_configs_headers(stripe):
    stripe.get(re.compile(f"{API}/.*"), json={"object": "list", "data": [], "has_more": False})
    targets = probe_targets(resolved_manifest()["streams"])
    probe = no_wait_probe(rk_config(account_id="acct_9", api_version="2025-09-30.clover"))
    assert probe.refusals(targets) == {}
    sent = [(request.path, params(request)) for request in stripe.request_history]
    distinct = {target.request for target in targets.values()}
    assert len(sent) == len(distinct) == probe.requests_sent
    assert all(query["limit"] == "1" for _path, query in sent)
    assert ("/v1/subscriptions", {"status": "all", "limit": "1"}) in sent
    assert ("/v1/tax/locations", {"type": "performance", "limit": "1"}) in sent
    first = stripe.request_history[0]
    assert first.headers["Authorization"] == f"Bearer {RK}"
    assert first.headers["Stripe-Account"] == "acct_9" and first.headers["Stripe-Version"] == "2025-09-30.clover"


@pytest.mark.parametrize(
    "answer",
    [
        stripe_error(500, "An unknown error occurred"),
        stripe_error(429, "Too many requests"),
        stripe_error(400, "Your account is not set up to use Issuing."),
        stripe_error(403, "The provided key does not have access to account 'acct_9' (or that account does not exist)."),
        {"status_code": 403, "text": "<html>Forbidden</html>"},
        {"exc": requests.exceptions.ConnectTimeout},
    ],
    ids=["5xx", "429", "product-not-enabled", "403-naming-no-permission", "403-not-json", "network"],
)
def test_a_probe_failing_for_another_reason_keeps_the_stream(stripe, answer):
    stripe.get(f"{API}/issuing/cards", [answer])
    assert no_wait_probe(rk_config()).refusals({"cards": ProbeTarget("issuing/cards")}) == {}


class SlowSession:
    """A session whose every GET takes 50 ms and answers an empty list; counts the GETs in flight at once."""

    def __init__(self) -> None:
        self.in_flight = self.most_in_flight = 0
        self._lock = threading.Lock()

    def get(self, url, **_kwargs) -> requests.Response:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        time.sleep(0.05)
        with self._lock:
            self.in_flight -= 1
        answer = requests.Response()
        answer.status_code, answer._content = 200, b'{"object": "list", "data": [], "has_more": false}'
        return answer


def test_after_a_network_failure_the_remaining_probes_are_not_sent(stripe):
    stripe.get(re.compile(f"{API}/.*"), exc=requests.exceptions.ConnectTimeout)
    probe = PermissionProbe(rk_config(num_workers=1), pacer=RequestPacer(1000, sleep=lambda _s: None))
    assert probe.refusals({f"s{i}": ProbeTarget(f"list_{i}") for i in range(5)}) == {}
    assert probe.requests_sent == 1 and len(stripe.request_history) == 1


def test_probes_are_sent_num_workers_at_once():
    session = SlowSession()
    probe = PermissionProbe(rk_config(num_workers=4), session=session, pacer=RequestPacer(1000, sleep=lambda _s: None))
    probe.refusals({f"s{i}": ProbeTarget(f"list_{i}") for i in range(8)})
    assert session.most_in_flight == 4 and probe.requests_sent == 8


# --- the catalog a restricted key keeps ------------------------------------------------------------------------


def catalog_of(*names: str) -> AirbyteCatalog:
    return AirbyteCatalog(
        streams=[
            AirbyteStream(
                name=name,
                json_schema={},
                supported_sync_modes=[SyncMode.full_refresh, SyncMode.incremental],
                source_defined_cursor=True,
                default_cursor_field=["updated"],
            )
            for name in names
        ]
    )


def test_the_refused_streams_are_left_out_of_the_catalog():
    restricted = RestrictedCatalog({"accounts": Refusal("accounts", "rak_connected_account_read")}, event_readers=())
    kept = restricted.apply(catalog_of("accounts", "charges"))
    assert [stream.name for stream in kept.streams] == ["charges"]
    assert kept.streams[0].supported_sync_modes == [SyncMode.full_refresh, SyncMode.incremental]


def test_without_the_events_permission_the_streams_read_through_events_offer_full_refresh_only():
    restricted = RestrictedCatalog({"events": Refusal("events", "rak_event_read")}, event_readers={"events", "charges"})
    kept = {stream.name: stream for stream in restricted.apply(catalog_of("events", "charges", "files")).streams}
    assert set(kept) == {"charges", "files"}
    assert kept["charges"].supported_sync_modes == [SyncMode.full_refresh]
    assert not kept["charges"].source_defined_cursor and not kept["charges"].default_cursor_field
    assert SyncMode.incremental in kept["files"].supported_sync_modes
    assert "offer full refresh only" in restricted.warning({"events", "charges", "files"})


def test_the_warning_names_each_left_out_stream_under_its_permission():
    restricted = RestrictedCatalog(
        {
            "persons": Refusal("persons", "rak_connected_account_read", via="accounts"),
            "accounts": Refusal("accounts", "rak_connected_account_read"),
            "charges": Refusal("charges", "rak_charge_read"),
        },
        event_readers=(),
    )
    warning = restricted.warning({"persons", "accounts", "charges", "customers"})
    assert warning.startswith("The restricted API key cannot read 3 streams, left out of the catalog")
    assert "'rak_charge_read': charges; 'rak_connected_account_read': accounts, persons (through accounts)." in warning
    assert "customers" not in warning and "rk_test" not in warning


def test_no_warning_when_the_key_reads_every_stream_offered():
    restricted = RestrictedCatalog({"accounts": Refusal("accounts", "rak_connected_account_read")}, event_readers=())
    assert restricted.warning({"charges"}) is None
