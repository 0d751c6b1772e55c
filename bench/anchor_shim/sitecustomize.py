"""Points the anchor (airbyte-source-stripe 5.14.1, url_base hard-coded to https://api.stripe.com/v1) at the emulator.

Loaded only when bench/run.py runs the anchor with PYTHONPATH=bench/anchor_shim and STRIPE_EMULATOR_URL set.
Rewrites https://api.stripe.com in every request at `requests.Session.send`, i.e. after the CDK's API budget has
matched the original URL, so the anchor's own rate policies and error handling are unchanged.
"""
import os

_target = os.environ.get("STRIPE_EMULATOR_URL")
if _target:
    import requests

    _send = requests.Session.send

    def send(self, request, **kwargs):
        if request.url.startswith("https://api.stripe.com"):
            request.url = _target.rstrip("/") + request.url[len("https://api.stripe.com"):]
        return _send(self, request, **kwargs)

    requests.Session.send = send
