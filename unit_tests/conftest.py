from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import List

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `import helpers` from any test folder


def pytest_configure(config):
    # The CDK's own deprecation notices about the manifest's component fields drown the test output.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:airbyte_cdk")
    config.addinivalue_line("filterwarnings", "ignore:Component type:DeprecationWarning")
    config.addinivalue_line("filterwarnings", "ignore:`cache_name` cannot be set:DeprecationWarning")
    config.addinivalue_line("filterwarnings", "ignore:This class is experimental")


@pytest.fixture
def backoff_sleeps(monkeypatch) -> List[float]:
    """Replaces the sleep of the CDK's user-defined backoff handler; returns the requested waits."""
    from airbyte_cdk.sources.streams.http import rate_limiting

    sleeps: List[float] = []
    monkeypatch.setattr(rate_limiting, "time", types.SimpleNamespace(sleep=sleeps.append))
    return sleeps
