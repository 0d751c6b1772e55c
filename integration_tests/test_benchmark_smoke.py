"""The benchmark script still runs end to end (tiny sizes; figures come from `bench/run.py`, never from a test)."""

import subprocess
import sys

from integration_tests.connector import REPO


def test_benchmark_smoke_run_reads_every_record():
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--smoke"], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "| ours (N=300+50) | 350 |" in done.stdout
