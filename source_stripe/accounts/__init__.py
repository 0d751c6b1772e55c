"""Stripe Connect: every stream read for the platform and for each connected account (`capture_connected_accounts`).

- `directory`: the accounts of a read (the platform's id from `GET /v1/account`, the connected ones from
  `/v1/accounts`), asked once per read.
- `router`: the partition router giving each stream one partition per account; the requester sends
  `Stripe-Account` from the partition (manifest.yaml `definitions.stripe_account`).
- `cursors`: one compact cursor per account per stream, the account's own choice of list or events, its own
  checkpoints and retention check.
- `streams`: an object stream as one stream of two paths, each account on the path its cursor calls for.
- `events`: one events pass per account.
- `manifest`: the manifest of a Connect read.
"""
