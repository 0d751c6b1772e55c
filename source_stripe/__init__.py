"""source-stripe: a Stripe source for Airbyte and Estuary Flow, built on airbyte-cdk's declarative framework."""

from source_stripe.source import SourceStripe

__all__ = ["SourceStripe"]
