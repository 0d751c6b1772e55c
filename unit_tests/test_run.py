import json
import sys

import pytest

from helpers import KEY, make_catalog, make_config
from source_stripe.run import run


@pytest.fixture
def cli(monkeypatch, capsys):
    """Runs `run(args)` in-process; returns (exit code, stdout messages, raw stdout, raw stderr).

    The CDK's PrintBuffer (used by `launch` and by every CDK log handler) writes to `sys.__stdout__` unless
    `sys.stdout` is pytest's own stream; `sys.__stdout__` is pointed at the captured stream so the test sees exactly
    what a real process prints. sys.stdout/sys.stderr are restored afterwards, undoing run()'s redacting wrapper.
    """
    from airbyte_cdk.logger import PRINT_BUFFER

    PRINT_BUFFER.flush()  # leftovers of earlier tests go where they belong

    def invoke(args):
        # capsys swaps sys.stdout in at the call phase, so the streams are taken here, not at fixture setup
        monkeypatch.setattr(sys, "stdout", sys.stdout)
        monkeypatch.setattr(sys, "stderr", sys.stderr)
        monkeypatch.setattr(sys, "__stdout__", sys.stdout)
        code = run(args)
        PRINT_BUFFER.flush()
        out, err = capsys.readouterr()
        messages = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        return code, messages, out, err

    yield invoke
    monkeypatch.undo()  # capsys's stream may already be closed
    PRINT_BUFFER.flush()


def write_json(path, content):
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def catalog_file(tmp_path):
    from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer

    return write_json(tmp_path / "catalog.json", ConfiguredAirbyteCatalogSerializer.dump(make_catalog("charges")))


def trace_errors(messages):
    return [m["trace"]["error"] for m in messages if m["type"] == "TRACE" and m["trace"]["type"] == "ERROR"]


def test_spec_exits_0_and_prints_the_spec(cli):
    code, messages, _, _ = cli(["spec"])
    assert code == 0
    specs = [m for m in messages if m["type"] == "SPEC"]
    assert len(specs) == 1
    properties = specs[0]["spec"]["connectionSpecification"]["properties"]
    assert {"credentials", "start_date", "client_secret", "api_base_url"} <= set(properties)


def test_read_with_a_missing_config_file_fails_with_a_message_naming_it(cli, tmp_path):
    missing = str(tmp_path / "nope.json")
    code, messages, out, err = cli(["read", "--config", missing, "--catalog", catalog_file(tmp_path)])
    assert code == 1
    errors = trace_errors(messages)
    assert len(errors) == 1
    assert missing in errors[0]["message"] and "cannot read the config file" in errors[0]["message"]
    assert errors[0]["failure_type"] == "config_error"
    assert missing in err
    assert "Traceback" not in out and "Traceback" not in err


def test_read_with_an_invalid_json_config_fails_with_a_message_naming_it(cli, tmp_path):
    config = write_json(tmp_path / "config.json", '{"credentials": {')
    code, messages, out, err = cli(["read", "--config", config, "--catalog", catalog_file(tmp_path)])
    assert code == 1
    [error] = trace_errors(messages)
    assert config in error["message"] and "is not valid JSON" in error["message"]
    assert "Traceback" not in out and "Traceback" not in err


def test_read_with_a_config_that_is_not_an_object_fails(cli, tmp_path):
    config = write_json(tmp_path / "config.json", "[]")
    code, messages, _, _ = cli(["read", "--config", config, "--catalog", catalog_file(tmp_path)])
    assert code == 1
    assert "must hold a JSON object" in trace_errors(messages)[0]["message"]


def test_read_with_plain_http_to_a_remote_host_fails_with_the_reason(cli, tmp_path):
    config = write_json(tmp_path / "config.json", make_config(api_base_url="http://stripe-proxy.example.com"))
    code, messages, out, err = cli(["read", "--config", config, "--catalog", catalog_file(tmp_path)])
    assert code == 1
    [error] = trace_errors(messages)
    assert "plain http to a non-loopback host" in error["message"]
    assert "plain http to a non-loopback host" in err
    assert "Traceback" not in out + err
    assert KEY not in out + err


def test_read_without_a_catalog_fails(cli, tmp_path):
    config = write_json(tmp_path / "config.json", make_config())
    code, messages, _, _ = cli(["read", "--config", config])
    assert code == 1
    assert "--catalog" in trace_errors(messages)[0]["message"]


def test_read_with_a_missing_state_file_fails_naming_it(cli, tmp_path):
    config = write_json(tmp_path / "config.json", make_config())
    state = str(tmp_path / "state.json")
    code, messages, _, _ = cli(["read", "--config", config, "--catalog", catalog_file(tmp_path), "--state", state])
    assert code == 1
    assert state in trace_errors(messages)[0]["message"]


def test_discover_without_config_fails(cli):
    code, messages, _, err = cli(["discover"])
    assert code == 1
    assert "--config" in trace_errors(messages)[0]["message"]


def test_check_with_a_bad_config_reports_a_failed_connection(cli, tmp_path):
    config = write_json(tmp_path / "config.json", make_config(api_base_url="http://example.com", start_date="2025-02-30T00:00:00Z"))
    code, messages, out, err = cli(["check", "--config", config])
    assert code == 0
    statuses = [m["connectionStatus"] for m in messages if m["type"] == "CONNECTION_STATUS"]
    assert len(statuses) == 1
    assert statuses[0]["status"] == "FAILED"
    assert "plain http to a non-loopback host" in statuses[0]["message"]
    assert "is not a real date" in statuses[0]["message"]
    assert "Traceback" not in out + err


def test_check_with_an_out_of_range_number_names_the_field(cli, tmp_path):
    config = write_json(tmp_path / "config.json", make_config(num_workers=0))
    code, messages, _, _ = cli(["check", "--config", config])
    assert code == 0
    [status] = [m["connectionStatus"] for m in messages if m["type"] == "CONNECTION_STATUS"]
    assert status["status"] == "FAILED" and "num_workers must be between 1 and 50, got 0" in status["message"]


def test_check_with_a_missing_config_file_reports_a_failed_connection(cli, tmp_path):
    missing = str(tmp_path / "nope.json")
    code, messages, _, _ = cli(["check", "--config", missing])
    [status] = [m["connectionStatus"] for m in messages if m["type"] == "CONNECTION_STATUS"]
    assert status["status"] == "FAILED" and missing in status["message"]


def test_no_command_exits_2_with_usage(cli):
    code, messages, out, err = cli([])
    assert code == 2
    assert "usage: source-stripe" in err
    assert messages == []


def test_unknown_command_exits_2(cli):
    assert cli(["sync"])[0] == 2


def test_output_written_during_run_is_redacted(cli, tmp_path):
    missing = str(tmp_path / f"{KEY}.json")  # a message that would otherwise echo a key
    code, _, out, err = cli(["read", "--config", missing, "--catalog", catalog_file(tmp_path)])
    assert code == 1
    assert "SECRETVALUE123" not in out + err
    assert "sk_test_[REDACTED]" in out


def test_read_rejected_by_stripe_never_prints_the_key_nor_its_masked_copy(cli, tmp_path):
    import requests_mock

    config = write_json(tmp_path / "config.json", make_config())
    masked = "Invalid API Key provided: sk_test_****************E123"
    with requests_mock.Mocker() as mock:
        mock.get("https://api.stripe.com/v1/charges", status_code=401, json={"error": {"message": masked}})
        code, messages, out, err = cli(["read", "--config", config, "--catalog", catalog_file(tmp_path)])
    assert code == 1
    assert any("rejected the API key" in e["message"] for e in trace_errors(messages))
    assert KEY not in out + err
    assert "E123" not in out + err, [line for line in (out + err).splitlines() if "E123" in line][:2]
