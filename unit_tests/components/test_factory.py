"""factory.py: `workers_of`, the workers of the density windows, read from `num_workers` like the manifest's
concurrency level (absent or not a number: auto mode's ceiling)."""

import pytest

from source_stripe.components.factory import workers_of
from source_stripe.concurrency import AUTO_CEILING


@pytest.mark.parametrize("num_workers, expected", [(None, AUTO_CEILING), (3, 3), (80, 50), ("x", AUTO_CEILING)])
def test_workers_follow_num_workers_like_the_concurrency_level(num_workers, expected):
    assert workers_of({"num_workers": num_workers}) == expected
