"""Where the manifest and the schemas are: beside the package when installed, at the repository top otherwise."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def bundle_root() -> Path:
    """The folder holding `manifest.yaml` and `schemas/`."""
    for candidate in (_PACKAGE_DIR, _PACKAGE_DIR.parent):
        if (candidate / "manifest.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"manifest.yaml not found beside {_PACKAGE_DIR} nor in its parent folder")


def manifest_path() -> Path:
    return bundle_root() / "manifest.yaml"


def schema_path(stream_name: str) -> Path:
    return bundle_root() / "schemas" / f"{stream_name}.json"
