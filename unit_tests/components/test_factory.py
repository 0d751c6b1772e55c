"""factory.py: `workers_of`, the workers of the density windows, read from `num_workers` like the manifest's
concurrency level."""

import pytest

from source_stripe.components.factory import workers_of


@pytest.mark.parametrize("num_workers, expected", [(None, 10), (3, 3), (80, 50), ("x", 10)])
def test_workers_follow_num_workers_like_the_concurrency_level(num_workers, expected):
    assert workers_of({"num_workers": num_workers}) == expected
