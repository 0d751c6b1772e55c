"""One partition per account."""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field
from typing import Any, Iterable, Mapping, Optional

from airbyte_cdk.sources.declarative.partition_routers.partition_router import PartitionRouter
from airbyte_cdk.sources.types import StreamSlice, StreamState

from source_stripe.accounts.directory import AccountDirectory, account_partition, current_directory


@dataclass
class AccountPartitionRouter(PartitionRouter):
    """One partition per account of the read, the platform first (source_stripe/accounts/manifest.py puts it in every
    stream a Connect read covers). The source's component factory gives it the read's `directory`.

    It adds no request option: the requester sends `Stripe-Account` from the partition itself (manifest.yaml
    `definitions.stripe_account`), so that the requests a custom retriever sends for the same slice carry it too.

        partition_router:
          type: CustomPartitionRouter
          class_name: source_stripe.accounts.router.AccountPartitionRouter
    """

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    directory: Optional[AccountDirectory] = field(default=None)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        pass

    def stream_slices(self) -> Iterable[StreamSlice]:
        if self.directory is None:
            self.directory = current_directory()
        if self.directory is None:
            raise RuntimeError("AccountPartitionRouter has no account directory (SourceStripe sets one for its read)")
        platform = self.directory.platform()
        for account in self.directory.accounts():
            yield StreamSlice(partition=account_partition(account, platform), cursor_slice={})

    def get_request_params(self, **kwargs: Any) -> Mapping[str, Any]:
        return {}

    def get_request_headers(self, **kwargs: Any) -> Mapping[str, Any]:
        return {}

    def get_request_body_data(self, **kwargs: Any) -> Mapping[str, Any]:
        return {}

    def get_request_body_json(self, **kwargs: Any) -> Mapping[str, Any]:
        return {}

    def set_initial_state(self, stream_state: StreamState) -> None:
        """The accounts' cursors are source_stripe/accounts/cursors.py's, not the router's."""

    def get_stream_state(self) -> Optional[Mapping[str, StreamState]]:
        return None
