"""Config normalisation and the checks JSON schema cannot express, with messages a user can act on.

Accepted shapes:
- Estuary's: {"credentials": {"credentials_title": "Private App Credentials", "access_token": "sk_…"}, "start_date": …}
- Airbyte 5.x's: {"client_secret": "sk_…", "account_id": …, "start_date": …, "lookback_window_days": …,
  "slice_range": …, "num_workers": …, "call_rate_limit": …}
No message here ever contains the key.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Mapping
from urllib.parse import urlsplit

KEY_PATTERN = re.compile(r"^[rs]k_(live|test)_[A-Za-z0-9_]+$")
START_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
START_DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
CREDENTIALS_TITLE = "Private App Credentials"
# Without `start_date`, objects created in the 30 days before the sync are read.
DEFAULT_START_DAYS = 30


class ConfigError(ValueError):
    """The config cannot work; the message says why and how to fix it."""


def normalize_config(raw: Mapping[str, Any]) -> Dict[str, Any]:
    """Returns a copy with empty optional values removed (`num_workers: "auto"` too: absent means the same) and
    `credentials.access_token` always set."""
    config = {key: value for key, value in raw.items() if value not in (None, "") and not _is_auto_workers(key, value)}
    credentials = dict(config.get("credentials") or {})
    if not credentials.get("access_token") and config.get("client_secret"):
        credentials = {"credentials_title": CREDENTIALS_TITLE, "access_token": config["client_secret"]}
    if credentials:
        credentials.setdefault("credentials_title", CREDENTIALS_TITLE)
        config["credentials"] = credentials
    return config


def _is_auto_workers(key: str, value: Any) -> bool:
    """`num_workers: "auto"`: requests in flight adapted to Stripe (source_stripe/concurrency.py), as when absent."""
    return key == "num_workers" and isinstance(value, str) and value.strip().lower() == "auto"


def with_defaults(config: Mapping[str, Any], spec: Mapping[str, Any]) -> Dict[str, Any]:
    """A normalised config with every absent value that has a default set to it: the spec's `default`s (the one
    place they are written; manifest.yaml's templates then read `config['slice_range']` and the like as they are)
    and `start_date`, `DEFAULT_START_DAYS` before now."""
    filled = dict(config)
    for name, schema in (spec.get("properties") or {}).items():
        if "default" in schema and name not in filled and not isinstance(schema["default"], (dict, list)):
            filled[name] = schema["default"]
    if "start_date" not in filled:
        start = datetime.now(timezone.utc) - timedelta(days=DEFAULT_START_DAYS)
        filled["start_date"] = start.strftime(START_DATE_FORMAT)
    return filled


def access_token(config: Mapping[str, Any]) -> str:
    return str((config.get("credentials") or {}).get("access_token") or "")


def validate_config(config: Mapping[str, Any]) -> None:
    """Raises ConfigError listing every problem found in a normalised config."""
    problems: List[str] = []
    key = access_token(config)
    if not key:
        problems.append("no API key: set credentials.access_token (or client_secret)")
    elif not KEY_PATTERN.match(key):
        problems.append(
            "the API key does not look like a Stripe secret or restricted key (it must start with "
            "sk_live_, sk_test_, rk_live_ or rk_test_)"
        )
    problems.extend(_start_date_problems(config.get("start_date")))
    problems.extend(_base_url_problems(config.get("api_base_url")))
    for name, low, high in (
        ("lookback_window_days", 0, None),
        ("slice_range", 1, None),
        ("num_workers", 1, 50),
        ("call_rate_limit", 1, None),
        ("events_overlap_seconds", 0, None),
        ("poll_interval_seconds", 1, None),
        ("max_run_minutes", 1, None),
    ):
        problems.extend(_integer_problems(config, name, low, high))
    capture = config.get("capture_connected_accounts")
    if capture is not None and not isinstance(capture, bool):
        problems.append(f"capture_connected_accounts must be true or false, got {capture!r}")
    elif capture and config.get("account_id"):
        problems.append(
            "capture_connected_accounts reads every connected account; account_id reads one instead of the "
            "platform: set one of them"
        )
    if problems:
        raise ConfigError("Invalid config: " + "; ".join(problems) + ".")


def _start_date_problems(value: Any) -> List[str]:
    if value is None:
        return []
    if not isinstance(value, str) or not START_DATE_PATTERN.match(value):
        return [f"start_date must look like 2025-01-01T00:00:00Z (UTC), got {value!r}"]
    try:
        start = datetime.strptime(value, START_DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        return [f"start_date {value!r} is not a real date"]
    if start > datetime.now(timezone.utc):
        return [f"start_date {value!r} is in the future"]
    return []


def _base_url_problems(value: Any) -> List[str]:
    if value is None:
        return []
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [f"api_base_url must be an http(s) URL such as https://api.stripe.com, got {value!r}"]
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return [
            f"api_base_url {value!r} uses plain http to a non-loopback host: the API key would cross the "
            "network in clear text. Use https:// (http:// is only allowed for 127.0.0.0/8, localhost and ::1)"
        ]
    return []


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _integer_problems(config: Mapping[str, Any], name: str, low: int, high: int | None) -> List[str]:
    value = config.get(name)
    if value is None:
        return []
    if isinstance(value, bool) or not isinstance(value, int):
        alternative = ' or "auto"' if name == "num_workers" else ""
        return [f"{name} must be a whole number{alternative}, got {value!r}"]
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        return [f"{name} must be {bounds}, got {value}"]
    return []
