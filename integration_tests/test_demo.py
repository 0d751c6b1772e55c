"""The README's first command runs `scripts/demo.py`: it must work, first read and incremental read."""

from __future__ import annotations

import subprocess
import sys

from integration_tests.connector import REPO


def test_demo_reads_then_reads_the_changes_incrementally():
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "demo.py"), "--scale", "5"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "check: SUCCEEDED" in done.stdout
    assert "incremental read exited 0" in done.stdout
    assert "is_deleted=True" in done.stdout  # the removed invoice line
    assert "sk_test_emulator" not in done.stdout + done.stderr
