"""Stripe error bodies."""
from __future__ import annotations

INVALID = "invalid_request_error"
DOCS = "https://stripe.com/docs/error-codes/"


class ApiError(Exception):
    def __init__(self, status: int, message: str, type_: str = INVALID, code: str | None = None,
                 param: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.param = status, message, type_, code, param
        self.headers = headers or {}

    def body(self) -> dict:
        err = {"message": self.message, "type": self.type}
        if self.code:
            err["code"] = self.code
            err["doc_url"] = DOCS + self.code.replace("_", "-")
        if self.param:
            err["param"] = self.param
        return {"error": err}


def unknown_parameter(name: str) -> ApiError:
    return ApiError(400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name)


def missing_parameter(name: str) -> ApiError:
    return ApiError(400, f"Missing required param: {name}.", code="parameter_missing", param=name)


def invalid_integer(value, param: str) -> ApiError:
    return ApiError(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param)


def missing_resource(noun: str, id_: str, param: str = "id", status: int = 404) -> ApiError:
    return ApiError(status, f"No such {noun}: '{id_}'", code="resource_missing", param=param)


def manual_payout_history() -> ApiError:
    """`/v1/balance_transactions?payout=` of a manual payout: Stripe lists the history of automatic payouts only."""
    return ApiError(400, "Balance transaction history can only be filtered on automatic transfers, not manual.")


def unrecognized_url(method: str, path: str) -> ApiError:
    return ApiError(404, f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
                         "or we can help at https://support.stripe.com/.")


def mask_key(key: str) -> str:
    parts = key.split("_", 2)
    prefix = parts[0] + "_" + parts[1] + "_" if len(parts) == 3 else ""
    rest = key[len(prefix):]
    if len(rest) <= 4:
        return prefix + rest
    return prefix + "*" * (len(rest) - 4) + rest[-4:]


def no_api_key() -> ApiError:
    return ApiError(401, "You did not provide an API key. You need to provide your API key in the Authorization "
                         "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
                         "https://stripe.com/docs/api#authentication for details, or we can help at "
                         "https://support.stripe.com/.")


def invalid_api_key(key: str) -> ApiError:
    return ApiError(401, f"Invalid API Key provided: {mask_key(key)}")


def no_permission(key: str, account: str, permission: str) -> ApiError:
    """A restricted key without the permission a request needs: Stripe answers 403 with an invalid request error
    (https://docs.stripe.com/keys/restricted-api-keys) and no code, in this wording (as Stripe's users quote it, e.g.
    "Having the 'rak_event_read' permission would allow this request to continue.")."""
    return ApiError(403, f"The provided key '{mask_key(key)}' does not have the required permissions for this "
                         f"endpoint on account '{account}'. Having the '{permission}' permission would allow "
                         "this request to continue.")


def account_invalid(account: str, key: str) -> ApiError:
    """A `Stripe-Account` the key does not reach: an unknown or deleted account, or one whose access the platform
    lost (the account disconnected the platform's application). Stripe's code `account_invalid` ("The account ID
    provided as a value for the Stripe-Account header is invalid", https://docs.stripe.com/error-codes#account-invalid)
    with 403 Forbidden ("The API key doesn't have permissions to perform the request",
    https://docs.stripe.com/api/errors), which Stripe's SDKs raise as a PermissionError; the message in the wording
    Stripe's users quote, the key masked as Stripe masks it."""
    return ApiError(403, f"The provided key '{mask_key(key)}' does not have access to account '{account}' (or that "
                         "account does not exist). Application access may have been revoked.", code="account_invalid")


def platform_may_not_read(what: str, account: str) -> ApiError:
    """A connected account's persons (capabilities, external accounts) its platform may not read. Stripe documents the
    case (a platform cannot access the persons of an account that collects its own requirements with Stripe once it
    has started onboarding: https://docs.stripe.com/api/persons) but quotes no message for it: this one is assumed,
    a permission error (403, no code) naming the account, like Stripe's other permission errors."""
    return ApiError(403, f"This platform does not have access to the {what} of account '{account}'. The account "
                         "manages this information with Stripe.")


def rate_limited() -> ApiError:
    return ApiError(429, "Request rate limit exceeded. Learn more about rate limits here "
                         "https://stripe.com/docs/rate-limits.", code="rate_limit")


def issuing_disabled() -> ApiError:
    return ApiError(400, "Your account is not set up to use Issuing. Please visit "
                         "https://dashboard.stripe.com/issuing/overview to get started.")


def connect_disabled() -> ApiError:
    return ApiError(400, "You can only create new accounts if you've signed up for Connect, which you can learn "
                         "how to do at https://stripe.com/docs/connect.")


def server_error(status: int) -> ApiError:
    return ApiError(status, "An unknown error occurred", type_="api_error")
