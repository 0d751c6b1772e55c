import io
import json
import sys

import pytest

from source_stripe.redaction import RedactingStream, install_output_redaction, redact


def test_stripes_masked_key_in_an_error_message_is_redacted():
    text = "Invalid API Key provided: sk_test_********************abcd"
    assert redact(text) == "Invalid API Key provided: sk_test_[REDACTED]"
    assert "abcd" not in redact(text)


@pytest.mark.parametrize("key", ["sk_live_51HxYzABC", "rk_test_abc123", "rk_live_***E123", "pk_test_abc"])
def test_every_key_shape_is_redacted(key):
    assert redact(f"key={key} end") == f"key={key[:8]}[REDACTED] end"


def test_a_key_with_an_underscore_which_the_config_accepts_is_fully_redacted():
    # source_stripe.config.KEY_PATTERN accepts [A-Za-z0-9_] after the prefix, so redaction must cover `_` too.
    from source_stripe.config import KEY_PATTERN

    key = "sk_test_51Hx_SECRETPART"
    assert KEY_PATTERN.match(key)
    assert "SECRETPART" not in redact(f"auth with {key} failed")


def test_text_without_keys_is_unchanged():
    text = "task_list sk_prod_abc desk_test 'rak_charge_read'"
    assert redact(text) == text


def write(text):
    sink = io.StringIO()
    RedactingStream(sink).write(text)
    return sink.getvalue()


def test_record_lines_pass_unchanged():
    line = '{"type":"RECORD","record":{"stream":"charges","data":{"id":"ch_1","description":"sk_test_notakey"}}}\n'
    assert write(line) == line
    spaced = '{"type": "RECORD", "record": {"data": {"note": "rk_live_x"}}}\n'
    assert write(spaced) == spaced


def test_log_lines_containing_a_full_key_are_redacted():
    log = json.dumps({"type": "LOG", "log": {"level": "ERROR", "message": "auth with sk_live_SECRETVALUE123 failed"}})
    out = write(log + "\n")
    assert "SECRETVALUE123" not in out
    assert json.loads(out)["log"]["message"] == "auth with sk_live_[REDACTED] failed"


def test_each_line_of_a_multi_line_write_is_judged_on_its_own():
    # The CDK's PrintBuffer hands the stream several messages in one write.
    record = '{"type":"RECORD","record":{"stream":"charges","data":{"note":"sk_test_looks_like_a_key"}}}\n'
    log = '{"type":"LOG","log":{"level":"ERROR","message":"Invalid API Key provided: sk_test_****E123"}}\n'
    out = write(record + log)
    assert "E123" not in out
    assert out.splitlines()[0] == record.rstrip("\n")
    out = write(log + record)
    assert "E123" not in out
    assert out.splitlines()[1] == record.rstrip("\n")


def test_trace_lines_with_a_masked_key_are_redacted():
    trace = json.dumps({"type": "TRACE", "trace": {"error": {"message": "The provided key 'rk_test_*****E123' does not"}}})
    out = write(trace)
    assert "E123" not in out
    assert "rk_test_[REDACTED]" in out


def test_write_returns_the_wrapped_streams_result_and_flush_is_forwarded():
    class Sink(io.StringIO):
        flushed = False

        def flush(self):
            Sink.flushed = True

    sink = Sink()
    stream = RedactingStream(sink)
    assert stream.write("abc") == 3
    stream.flush()
    assert Sink.flushed


def test_install_wraps_stdout_and_stderr_once(monkeypatch):
    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(sys, "__stdout__", sys.__stdout__)  # restored afterwards, should run() wrap it too
    install_output_redaction()
    wrapped = sys.stdout
    install_output_redaction()
    assert isinstance(sys.stdout, RedactingStream) and isinstance(sys.stderr, RedactingStream)
    assert sys.stdout is wrapped
    print("key sk_test_SECRETVALUE123")
    print("err rk_live_SECRETVALUE123", file=sys.stderr)
    assert out.getvalue() == "key sk_test_[REDACTED]\n"
    assert err.getvalue() == "err rk_live_[REDACTED]\n"
