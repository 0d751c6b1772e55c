from __future__ import annotations

import pytest

from integration_tests.connector import REPO, run_connector, emulator_config
from integration_tests.emulator import Emulator


@pytest.fixture(scope="module")
def emulator():
    """A seeded emulator with Stripe's test-mode rate limit on: the connector must stay under it or recover."""
    with Emulator(seed=7, scale=3) as emu:
        yield emu


@pytest.fixture(scope="module")
def discovered(emulator):
    run = run_connector("discover", emulator_config(emulator.url))
    assert run.returncode == 0, run.stderr
    return run.of_type("CATALOG")[0]["catalog"]["streams"]
