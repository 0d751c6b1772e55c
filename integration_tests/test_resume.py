"""A sync killed (SIGKILL) between two states and resumed from the last emitted state loses nothing."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from integration_tests.connector import REPO, configured_catalog, emulator_config, run_connector
from integration_tests.emulator import Emulator
from integration_tests.truth import expected_ids



def _read_until_states(config: dict, catalog: dict, states_before_kill: int) -> tuple[set, list]:
    """Runs a read, SIGKILLs it right after its n-th STATE message; returns (ids read, last state per stream)."""
    ids, last_state = set(), {}
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "config.json").write_text(json.dumps(config))
        (Path(tmp) / "catalog.json").write_text(json.dumps(catalog))
        process = subprocess.Popen(
            [sys.executable, str(REPO / "main.py"), "read", "--config", "config.json", "--catalog", "catalog.json"],
            cwd=tmp, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        seen_states = 0
        for line in process.stdout:
            message = json.loads(line)
            if message["type"] == "RECORD":
                ids.add(message["record"]["data"]["id"])
            elif message["type"] == "STATE":
                last_state[message["state"]["stream"]["stream_descriptor"]["name"]] = message["state"]
                seen_states += 1
                if seen_states == states_before_kill:
                    process.send_signal(signal.SIGKILL)
                    break
        process.wait(timeout=30)
    return ids, list(last_state.values())


def test_killed_sync_resumed_from_its_last_state_loses_no_record():
    with Emulator(seed=21, scale=12) as emulator:
        # One-day windows: the history of `events` and `balance_transactions` is many partitions, each closed by a state.
        start = int(time.time()) - 35 * 86400
        config = emulator_config(
            emulator.url, start_date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)), slice_range=1, num_workers=2
        )
        catalog = configured_catalog({"events": "incremental", "balance_transactions": "incremental"})
        first_ids, state = _read_until_states(config, catalog, states_before_kill=24)
        assert state, "the killed sync emitted no state"

        resumed = run_connector("read", config, catalog, state)
        assert resumed.returncode == 0, resumed.stderr
        for stream in ("events", "balance_transactions"):
            expected = expected_ids(emulator.store, stream, start)
            assert expected <= first_ids | resumed.ids(stream), f"{stream}: records lost across the kill"
        assert resumed.ids("events") < expected_ids(emulator.store, "events", start), "the resume re-read everything"
