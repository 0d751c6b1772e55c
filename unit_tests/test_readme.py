"""The README's tables are generated from the manifest and the API coverage decisions, and kept so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from helpers import STREAM_COUNT

ROOT = Path(__file__).resolve().parents[1]


def test_the_readmes_tables_are_what_the_manifest_says():
    check = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "readme_tables.py"), "--check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr


def test_the_readme_states_the_number_of_streams():
    assert f"\n{STREAM_COUNT} streams, primary key `id`" in (ROOT / "README.md").read_text(encoding="utf-8")
