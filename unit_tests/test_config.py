from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import KEY, START_DATE, airbyte_config, make_config
from source_stripe.config import ConfigError, normalize_config, validate_config
from source_stripe.source import SourceStripe

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yaml"
SPEC = yaml.safe_load(MANIFEST.read_text())["spec"]["connection_specification"]

ESTUARY_SEED = {
    "credentials": {"credentials_title": "Private App Credentials", "access_token": "sk_test_51AbCdEf"},
    "start_date": "2025-01-01T00:00:00Z",
}


def errors_of(config) -> str:
    with pytest.raises(ConfigError) as info:
        validate_config(normalize_config(config))
    return str(info.value)


# --- accepted shapes -------------------------------------------------------------------------------------------


def test_estuary_seed_config_validates():
    validate_config(normalize_config(ESTUARY_SEED))


def test_estuary_seed_config_normalizes_to_itself():
    assert normalize_config(ESTUARY_SEED) == ESTUARY_SEED


def test_airbyte_config_copies_client_secret_into_credentials():
    config = normalize_config(airbyte_config())
    assert config["credentials"] == {"credentials_title": "Private App Credentials", "access_token": KEY}
    assert config["account_id"] == "acct_1"
    assert config["slice_range"] == 365


def test_airbyte_config_validates():
    validate_config(normalize_config(airbyte_config()))


def test_existing_access_token_wins_over_client_secret():
    config = normalize_config({"credentials": {"access_token": "sk_test_A"}, "client_secret": "sk_test_B"})
    assert config["credentials"]["access_token"] == "sk_test_A"


def test_credentials_title_is_defaulted():
    assert normalize_config({"credentials": {"access_token": KEY}})["credentials"]["credentials_title"] == (
        "Private App Credentials"
    )


def test_empty_optional_values_are_removed():
    config = normalize_config(make_config(account_id="", api_version=None, api_base_url=""))
    assert "account_id" not in config and "api_base_url" not in config


def test_normalize_does_not_mutate_its_input():
    raw = airbyte_config()
    before = dict(raw)
    normalize_config(raw)
    assert raw == before


@pytest.mark.parametrize("config", [ESTUARY_SEED, airbyte_config()], ids=["estuary", "airbyte"])
def test_both_shapes_match_the_spec_schema(config):
    jsonschema.Draft7Validator.check_schema(SPEC)
    jsonschema.validate(config, SPEC)


def test_normalized_airbyte_config_matches_the_spec_schema():
    jsonschema.validate(normalize_config(airbyte_config()), SPEC)


def test_spec_schema_refuses_a_config_without_any_key():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"start_date": "2025-01-01T00:00:00Z"}, SPEC)


def test_spec_schema_refuses_a_publishable_key():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"credentials": {"access_token": "pk_test_abc"}}, SPEC)


# --- keys ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["sk_test_abc", "sk_live_abc", "rk_test_abc", "rk_live_abc", "sk_test_51H_x9"])
def test_secret_and_restricted_keys_are_accepted(key):
    validate_config(normalize_config(make_config(credentials={"access_token": key})))


@pytest.mark.parametrize("key", ["pk_test_abc", "pk_live_abc", "sk_prod_abc", "abc", "sk_test_", "sk_test_a-b"])
def test_publishable_and_malformed_keys_are_refused(key):
    message = errors_of(make_config(credentials={"access_token": key}))
    assert "sk_live_, sk_test_, rk_live_ or rk_test_" in message


def test_missing_key_is_refused():
    assert "no API key" in errors_of({"start_date": START_DATE})


# --- start_date ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2025-01-01", "2025-01-01 00:00:00", "2025-01-01T00:00:00+00:00", "01/01/2025", 20250101])
def test_start_date_in_the_wrong_format_is_refused(value):
    message = errors_of(make_config(start_date=value))
    assert "start_date must look like 2025-01-01T00:00:00Z" in message


@pytest.mark.parametrize("value", ["2025-02-30T00:00:00Z", "2025-13-01T00:00:00Z", "2025-01-01T25:00:00Z"])
def test_start_date_that_is_not_a_real_date_is_refused(value):
    assert f"start_date {value!r} is not a real date" in errors_of(make_config(start_date=value))


def test_start_date_in_the_future_is_refused():
    future = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"start_date {future!r} is in the future" in errors_of(make_config(start_date=future))


def test_absent_start_date_is_fine():
    validate_config(normalize_config(make_config(start_date=None)))


# --- api_base_url ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://api.stripe.com", "http://10.0.0.1:8080", "http://proxy.internal/", "http://127.example.com"])
def test_plain_http_to_a_remote_host_is_refused(url):
    message = errors_of(make_config(api_base_url=url))
    assert "plain http to a non-loopback host" in message
    assert "Use https://" in message


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:12111", "http://127.1.2.3", "http://localhost", "http://LOCALHOST:8080/", "http://[::1]:8080"]
)
def test_plain_http_to_loopback_is_accepted(url):
    validate_config(normalize_config(make_config(api_base_url=url)))


@pytest.mark.parametrize("url", ["https://api.stripe.com", "https://proxy.example.com:8443/stripe", "https://10.0.0.1"])
def test_https_to_any_host_is_accepted(url):
    validate_config(normalize_config(make_config(api_base_url=url)))


@pytest.mark.parametrize("url", ["ftp://api.stripe.com", "api.stripe.com", "https://"])
def test_base_url_that_is_not_http_is_refused(url):
    assert "api_base_url must be an http(s) URL" in errors_of(make_config(api_base_url=url))


# --- integers --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 51, -1])
def test_num_workers_outside_1_to_50_is_refused(value):
    assert f"num_workers must be between 1 and 50, got {value}" in errors_of(make_config(num_workers=value))


@pytest.mark.parametrize("value", [1, 50])
def test_num_workers_at_the_bounds_is_accepted(value):
    validate_config(normalize_config(make_config(num_workers=value)))


@pytest.mark.parametrize(
    "name,value,expected",
    [
        ("slice_range", 0, "slice_range must be at least 1"),
        ("lookback_window_days", -1, "lookback_window_days must be at least 0"),
        ("call_rate_limit", 0, "call_rate_limit must be at least 1"),
        ("num_workers", "10", "num_workers must be a whole number"),
        ("slice_range", True, "slice_range must be a whole number"),
        ("slice_range", 1.5, "slice_range must be a whole number"),
    ],
)
def test_bad_integers_are_refused(name, value, expected):
    assert expected in errors_of(make_config(**{name: value}))


def test_every_problem_is_listed_in_one_message():
    message = errors_of(make_config(start_date="2025-01-01", num_workers=0, api_base_url="http://example.com"))
    assert message.startswith("Invalid config: ")
    assert "start_date" in message and "num_workers" in message and "api_base_url" in message


# --- events_overlap_seconds ------------------------------------------------------------------------------------

OVERLAP_BASE = {"credentials": {"access_token": "sk_test_x"}, "start_date": "2025-01-01T00:00:00Z"}


@pytest.mark.parametrize("value", [0, 60, 3600])
def test_events_overlap_seconds_accepts_non_negative_integers(value):
    validate_config({**OVERLAP_BASE, "events_overlap_seconds": value})


@pytest.mark.parametrize("value", [-1, "60", 1.5])
def test_events_overlap_seconds_rejects_the_rest(value):
    with pytest.raises(ConfigError, match="events_overlap_seconds"):
        validate_config({**OVERLAP_BASE, "events_overlap_seconds": value})


def test_spec_offers_events_overlap_seconds_defaulting_to_60():
    spec = SourceStripe().spec(logger=None).connectionSpecification["properties"]["events_overlap_seconds"]
    assert spec["type"] == "integer" and spec["minimum"] == 0 and spec["default"] == 60


# --- the key never appears in a message ------------------------------------------------------------------------

key_suffix = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd")).filter(str.isascii), min_size=8, max_size=40)
valid_keys = st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(["sk_test_", "sk_live_", "rk_test_", "rk_live_"]), key_suffix)
bad_keys = st.one_of(
    st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(["pk_test_", "pk_live_", "sk_", "key_", ""]), key_suffix),
    st.builds(lambda key, bad: key + bad, valid_keys, st.sampled_from(["-", " ", "!", "é"])),
)
BAD_FIELDS = [
    ("start_date", "2025-01-01"),
    ("start_date", "2999-01-01T00:00:00Z"),
    ("start_date", "2025-02-30T00:00:00Z"),
    ("api_base_url", "http://example.com"),
    ("api_base_url", "ftp://x"),
    ("num_workers", 0),
    ("num_workers", 51),
    ("num_workers", "x"),
    ("slice_range", 0),
]
bad_other_fields = st.lists(st.sampled_from(BAD_FIELDS), max_size=4).map(dict)


@settings(max_examples=150, deadline=None)
@given(key=bad_keys, others=bad_other_fields, airbyte_shape=st.booleans())
def test_a_bad_key_never_appears_in_the_error_message(key, others, airbyte_shape):
    raw = {"client_secret": key, **others} if airbyte_shape else {"credentials": {"access_token": key}, **others}
    message = errors_of(raw)
    assert key not in message
    assert key[-8:] not in message


@settings(max_examples=150, deadline=None)
@given(key=valid_keys, others=st.lists(st.sampled_from(BAD_FIELDS), min_size=1, max_size=4).map(dict), airbyte_shape=st.booleans())
def test_a_valid_key_never_appears_in_the_error_for_other_fields(key, others, airbyte_shape):
    raw = {"client_secret": key, **others} if airbyte_shape else {"credentials": {"access_token": key}, **others}
    message = errors_of(raw)
    assert key not in message
    assert key[8:] not in message


# --- continuous mode --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["poll_interval_seconds", "max_run_minutes"])
@pytest.mark.parametrize("value", [0, -2, 1.5, "2"])
def test_continuous_mode_settings_must_be_whole_numbers_of_at_least_one(name, value):
    with pytest.raises(ConfigError, match=name):
        validate_config({**OVERLAP_BASE, name: value})


def test_continuous_mode_settings_are_in_the_spec_and_absent_by_default():
    properties = SourceStripe().spec(logger=None).connectionSpecification["properties"]
    assert properties["poll_interval_seconds"]["minimum"] == 1 and "default" not in properties["poll_interval_seconds"]
    assert "airbyte-to-flow" in properties["poll_interval_seconds"]["description"]
    assert properties["max_run_minutes"]["minimum"] == 1
