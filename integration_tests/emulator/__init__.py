"""A local, stateful fake of Stripe's REST API (see README.md)."""
from .server import Emulator
from .store import Store

__all__ = ["Emulator", "Store"]
