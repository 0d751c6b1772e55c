from airbyte_cdk.sources.types import StreamSlice

from source_stripe.components.transformations import ListedObjectTransformation


def transform(record, stream_slice=None):
    ListedObjectTransformation(parameters={}).transform(record, stream_slice=stream_slice)
    return record


def test_a_listed_object_is_updated_at_its_creation_and_not_deleted():
    assert transform({"id": "ch_1", "created": 42}) == {"id": "ch_1", "created": 42, "updated": 42, "is_deleted": False}


def test_an_object_without_created_is_updated_at_the_end_of_its_window():
    window = StreamSlice(partition={}, cursor_slice={"start_time": "1", "end_time": "1700000000"})
    assert transform({"id": "plink_1"}, window)["updated"] == 1700000000


def test_without_created_or_window_updated_is_none():
    assert transform({"id": "plink_1"})["updated"] is None
