"""source-stripe: a Stripe source for Airbyte and Estuary Flow, built on airbyte-cdk's declarative framework."""

from source_stripe.cdk_seams import serializers_without_field_docs

# The CDK's protocol serializers are built when it is first imported, here: without their fields' docstrings, which
# only its JSON schemas use (~0.6 s less of every start; cdk_seams.serializers_without_field_docs).
with serializers_without_field_docs():
    from source_stripe.source import SourceStripe

__all__ = ["SourceStripe"]
