"""Stream state: one flat cursor per stream, `{"updated": <int>}` or `{"created": <int>}`.

- `cursors`: what a stream state holds (the cursor fields, the one cursor parser, the backfill marker).
- `incoming`: the state a read is given, made into what the CDK's cursors read (integer cursors, Airbyte 5.x
  shapes), with a WARN for a state no cursor can be read from.
- `checkpoints`: the state a read writes for the streams read through Stripe's events, around the CDK's messages.
- `retention`: which saved cursors are older than Stripe keeps events (those streams re-read their list).

manifest.yaml's cursors (`definitions:` "Cursors") and its events-backed stream kinds (`api_retention_period`) are
the inputs of this package; source.py wires it into a read.
"""
