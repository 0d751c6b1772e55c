"""The bundled manifest is valid for the CDK: checked here, since the source skips the check at start-up."""

from source_stripe.cdk_seams import validate_manifest_now

from helpers import make_catalog, make_config
from source_stripe.source import SourceStripe


def test_the_bundled_manifest_is_valid_against_the_cdks_declarative_schema():
    source = SourceStripe(config=make_config())
    validate_manifest_now(source)  # raises ValidationError when it is not


def test_a_source_made_for_a_read_builds_only_the_selected_streams():
    source = SourceStripe(config=make_config(), catalog=make_catalog("charges", "bank_accounts"))
    assert sorted(stream.name for stream in source.streams(make_config())) == ["bank_accounts", "charges"]


def test_a_source_made_without_a_catalog_builds_every_stream():
    assert len(SourceStripe(config=make_config()).streams(make_config())) == 54
