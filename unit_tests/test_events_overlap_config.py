import pytest

from source_stripe.config import ConfigError, validate_config
from source_stripe.source import SourceStripe

BASE = {"credentials": {"access_token": "sk_test_x"}, "start_date": "2025-01-01T00:00:00Z"}


@pytest.mark.parametrize("value", [0, 60, 3600])
def test_events_overlap_seconds_accepts_non_negative_integers(value):
    validate_config({**BASE, "events_overlap_seconds": value})


@pytest.mark.parametrize("value", [-1, "60", 1.5])
def test_events_overlap_seconds_rejects_the_rest(value):
    with pytest.raises(ConfigError, match="events_overlap_seconds"):
        validate_config({**BASE, "events_overlap_seconds": value})


def test_spec_offers_events_overlap_seconds_defaulting_to_60():
    spec = SourceStripe().spec(logger=None).connectionSpecification["properties"]["events_overlap_seconds"]
    assert spec["type"] == "integer" and spec["minimum"] == 0 and spec["default"] == 60
