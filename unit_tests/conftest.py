"""Fixtures shared by every unit test folder (unit_tests/, components/, source/, state/).

The builders that are no fixtures live in helpers.py, the fake Stripe list endpoint in fake_stripe.py; both are
imported as top-level modules (`from helpers import …`), hence unit_tests/ on sys.path. The test folders are no
packages: pytest imports each test file by its basename, so two test files must not share a basename.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import List

import pytest
import requests_mock

sys.path.insert(0, str(Path(__file__).resolve().parent))
UNIT_PLATFORM = "acct_1UnitTestPlatform"  # `import helpers`, `import fake_stripe` from any test folder


def pytest_configure(config):
    # The CDK's own deprecation notices about the manifest's component fields drown the test output.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:airbyte_cdk")
    config.addinivalue_line("filterwarnings", "ignore:Component type:DeprecationWarning")
    config.addinivalue_line("filterwarnings", "ignore:`cache_name` cannot be set:DeprecationWarning")
    config.addinivalue_line("filterwarnings", "ignore:This class is experimental")


@pytest.fixture
def stripe():
    """The Stripe API, mocked with requests-mock: register answers with `stripe.get(url, …)` (a FakeStripeList as
    `text=` for Stripe's list semantics); `stripe.request_history` holds what was sent."""
    with requests_mock.Mocker() as mock:
        # The platform's own account, which every read asks once for the records' `account_id`.
        mock.get(re.compile(r"/v1/account(\?.*)?$"), json={"id": UNIT_PLATFORM, "object": "account"})
        yield mock


@pytest.fixture
def backoff_sleeps(monkeypatch) -> List[float]:
    """Replaces the sleep of the CDK's user-defined backoff handler; returns the requested waits."""
    from airbyte_cdk.sources.streams.http import rate_limiting

    sleeps: List[float] = []
    monkeypatch.setattr(rate_limiting, "time", types.SimpleNamespace(sleep=sleeps.append))
    return sleeps
