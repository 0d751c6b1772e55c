"""Runs the connector as users do (`python main.py …` in a subprocess) and collects its Airbyte messages."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

REPO = Path(__file__).resolve().parents[1]
TEST_KEY = "sk_test_emulator_integration"


def emulator_config(url: str, **overrides: Any) -> Dict[str, Any]:
    """The seed's config shape (Estuary's), pointed at the emulator."""
    config = {
        "credentials": {"credentials_title": "Private App Credentials", "access_token": TEST_KEY},
        "start_date": "2025-01-01T00:00:00Z",
        "api_base_url": url,
    }
    config.update(overrides)
    return config


def configured_catalog(bindings: Dict[str, str], discovered: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    """A configured catalog from {stream: sync mode}; stream schemas are not needed by the source."""
    streams = []
    for name, mode in bindings.items():
        stream = {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]}
        if discovered:
            stream = next(s for s in discovered if s["name"] == name)
        streams.append(
            {
                "stream": stream,
                "sync_mode": mode,
                "destination_sync_mode": "append_dedup" if mode == "incremental" else "overwrite",
                **({"cursor_field": stream.get("default_cursor_field") or []} if mode == "incremental" else {}),
            }
        )
    return {"streams": streams}


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    messages: List[Dict[str, Any]] = field(default_factory=list)

    def of_type(self, kind: str) -> List[Dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    @property
    def records(self) -> Dict[str, List[Dict[str, Any]]]:
        by_stream: Dict[str, List[Dict[str, Any]]] = defaultdict(list)
        for message in self.of_type("RECORD"):
            by_stream[message["record"]["stream"]].append(message["record"]["data"])
        return by_stream

    def ids(self, stream: str) -> set:
        return {record["id"] for record in self.records.get(stream, [])}

    @property
    def states(self) -> List[Dict[str, Any]]:
        return [m["state"] for m in self.of_type("STATE")]

    def final_state(self) -> List[Dict[str, Any]]:
        """The last STATE message of each stream, as a state file for the next sync."""
        last: Dict[str, Dict[str, Any]] = {}
        for state in self.states:
            if state.get("type") == "STREAM":
                last[state["stream"]["stream_descriptor"]["name"]] = state
        return list(last.values())

    def errors(self) -> List[Dict[str, Any]]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"]["type"] == "ERROR"]

    def logs(self, level: str) -> List[str]:
        return [m["log"]["message"] for m in self.of_type("LOG") if m["log"]["level"] == level]

    def connection_status(self) -> Dict[str, Any]:
        return self.of_type("CONNECTION_STATUS")[-1]["connectionStatus"]


def destination_view(*runs: Run) -> Dict[str, Dict[str, Dict[str, Any]]]:
    """The destination after append_dedup on `updated`: {stream: {id: record}}, per id the newest record, later syncs
    winning ties."""
    view: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for run in runs:
        for stream, records in run.records.items():
            for record in records:
                current = view.setdefault(stream, {}).get(record["id"])
                if current is None or record["updated"] >= current["updated"]:
                    view[stream][record["id"]] = record
    return view


def run_connector(
    command: str,
    config: Optional[Dict[str, Any]] = None,
    catalog: Optional[Dict[str, Any]] = None,
    state: Optional[List[Dict[str, Any]]] = None,
    timeout: int = 300,
) -> Run:
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, os.environ.get("CONNECTOR_MAIN", str(REPO / "main.py")), command]
        for name, value in (("config", config), ("catalog", catalog), ("state", state)):
            if value is not None:
                path = Path(tmp) / f"{name}.json"
                path.write_text(json.dumps(value))
                args += [f"--{name}", str(path)]
        done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, cwd=tmp)
    messages = []
    for line in done.stdout.splitlines():
        line = line.strip()
        if line:
            messages.append(json.loads(line))
    return Run(done.returncode, done.stdout, done.stderr, messages)


class ContinuousProcess:
    """`python main.py read` in continuous mode; every stdout line with the time it arrived."""

    def __init__(self, config: Dict[str, Any], catalog: Dict[str, Any], state: Optional[List[Dict[str, Any]]] = None):
        self._tmp = tempfile.TemporaryDirectory()
        tmp = Path(self._tmp.name)
        args = [sys.executable, os.environ.get("CONNECTOR_MAIN", str(REPO / "main.py")), "read"]
        for name, value in (("config", config), ("catalog", catalog), ("state", state)):
            if value is not None:
                (tmp / f"{name}.json").write_text(json.dumps(value))
                args += [f"--{name}", str(tmp / f"{name}.json")]
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp)
        self.lines: List[Tuple[float, Dict[str, Any]]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.strip():
                self.lines.append((time.time(), json.loads(line)))

    def wait_for(self, predicate, timeout: float) -> Optional[float]:
        """The arrival time of the first message matching `predicate`, waiting up to `timeout` seconds."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for arrived, message in list(self.lines):
                if predicate(message):
                    return arrived
            time.sleep(0.05)
        return None

    def stop(self) -> float:
        """SIGTERM; returns how long the run took to end."""
        asked = time.time()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)
        self._reader.join(timeout=5)
        return time.time() - asked

    def run(self) -> Run:
        stderr = self.process.stderr.read() if self.process.stderr else ""
        self._tmp.cleanup()
        return Run(self.process.returncode, "", stderr, [message for _arrived, message in self.lines])
