from helpers import response, stripe_list
from source_stripe.components.paginators import StartingAfterPagination


def token(body, strategy=None):
    strategy = strategy or StartingAfterPagination(parameters={})
    return strategy.next_page_token(response(body=body), last_page_size=len(body.get("data") or []), last_record=None)


def test_next_page_starts_after_the_last_object_of_the_page():
    assert token(stripe_list([{"id": "ch_3"}, {"id": "ch_2"}], has_more=True)) == "ch_2"


def test_no_next_page_when_has_more_is_false():
    assert token(stripe_list([{"id": "ch_3"}, {"id": "ch_2"}], has_more=False)) is None


def test_no_next_page_when_has_more_is_missing():
    assert token({"object": "list", "data": [{"id": "ch_1"}]}) is None


def test_no_next_page_when_has_more_but_page_is_empty():
    assert token(stripe_list([], has_more=True)) is None
    assert token({"has_more": True, "data": None}) is None


def test_the_next_page_token_is_a_string():
    assert token(stripe_list([{"id": 12345}], has_more=True)) == "12345"


def test_the_first_page_has_no_token():
    assert StartingAfterPagination(parameters={}).initial_token is None


def test_page_size_defaults_to_100_and_is_configurable():
    assert StartingAfterPagination(parameters={}).get_page_size() == 100
    assert StartingAfterPagination(parameters={}, page_size=10).get_page_size() == 10


def test_strategy_is_stateless_across_pages():
    strategy = StartingAfterPagination(parameters={})
    assert token(stripe_list([{"id": "a"}], has_more=True), strategy) == "a"
    assert token(stripe_list([{"id": "b"}], has_more=False), strategy) is None
    assert token(stripe_list([{"id": "c"}], has_more=True), strategy) == "c"
