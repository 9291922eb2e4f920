"""python -m harness inspect|report: one row per token with role and ✓/✗; bad input is one line and status 2."""

import json
import re
import subprocess
import sys

import pytest


def test_inspect_prints_token_table(tmp_path, load_tokenizer_or_skip):
    load_tokenizer_or_skip("qwen2.5-instruct")
    path = tmp_path / "conv.json"
    path.write_text(json.dumps([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]))
    out = subprocess.run([sys.executable, "-m", "harness", "inspect", "--tokenizer", "qwen2.5-instruct", str(path),
                          "--color", "never"], capture_output=True, text=True, check=True).stdout
    assert "<|im_end|>" in out and "✓" in out and "✗" in out
    assert any(line.rstrip().endswith("yo") and "✓" in line for line in out.splitlines())


def test_inspect_rejects_malformed_conversation(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"role": "robot", "content": "x"}]))
    result = subprocess.run([sys.executable, "-m", "harness", "inspect", "--tokenizer", "qwen3", str(path)],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "message 0: unknown role" in result.stderr


def test_inspect_renders_with_the_chat_template_file_a_replay_names(tmp_path, load_tokenizer_or_skip, capsys):
    from harness.cli import main

    load_tokenizer_or_skip("qwen2.5-instruct")
    conversation = tmp_path / "conv.json"
    conversation.write_text(json.dumps([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]))
    template = tmp_path / "mine.jinja"
    template.write_text("{% for m in messages %}<|im_start|>{{ m.role }} says: {{ m.content }}<|im_end|>{% endfor %}")
    assert main(["inspect", "--tokenizer", "qwen2.5-instruct", str(conversation), "--chat-template", str(template),
                 "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "says" in out and "You are Qwen" not in out  # the file's template, not the tokenizer's


GOOD = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]


@pytest.mark.parametrize("command", ["inspect", "report"])
@pytest.mark.parametrize("content, tokenizer, problem", [
    (None, "qwen3", r"^error: .*missing\.json: no such file \(a conversation"),
    ("{'messages': [", "qwen3", r"^error: .*conv\.json: not JSON: Expecting property name .* at line 1 column 2$"),
    (json.dumps(GOOD), "no-such-tokenizer", r"^error: --tokenizer no-such-tokenizer: tokenizer 'no-such-tokenizer' "
     r"not found in .*HARNESS_TOKENIZERS_DIR"),
    ("[]", "qwen3", r"^error: .*conv\.json: the conversation is empty \(no messages\)$"),
    (json.dumps({"messages": []}), "qwen3", r"^error: .*conv\.json: the conversation is empty \(no messages\)$"),
    (json.dumps([{"content": "hi"}]), "qwen3", r"^error: .*conv\.json: message 0 has no 'role' \(keys: content\)$"),
    (json.dumps({"turns": GOOD}), "qwen3", r"^error: .*conv\.json: expected a list of messages or an object"),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, capsys, command, content, tokenizer, problem):
    from harness.cli import main

    path = tmp_path / ("missing.json" if content is None else "conv.json")
    if content is not None:
        path.write_text(content)
    assert main([command, str(path), "--tokenizer", tokenizer]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.splitlines()) == 1, captured.err
    assert re.match(problem, captured.err.strip()), captured.err


def test_no_traceback_from_the_command_line(tmp_path):
    path = tmp_path / "conv.json"
    path.write_text("not json")
    result = subprocess.run([sys.executable, "-m", "harness", "inspect", str(path), "--tokenizer", "qwen3"],
                            capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"error: {path}: not JSON: Expecting value at line 1 column 1"


def batch_masker(tokenizer):
    """A masker returning a [2, n] batch (the test below names it as module:factory)."""
    def mask(messages, tools):
        ids = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"]
        return {"input_ids": [ids, ids], "labels": [ids, ids]}
    return mask


def test_a_masker_returning_a_batch_is_refused_in_one_line(tmp_path, capsys, load_tokenizer_or_skip):
    from harness.cli import main

    load_tokenizer_or_skip("qwen2.5-instruct")
    path = tmp_path / "conv.json"
    path.write_text(json.dumps(GOOD))
    assert main(["inspect", str(path), "--tokenizer", "qwen2.5-instruct", "--masker", "tests.test_cli:batch_masker"]) == 2
    err = capsys.readouterr().err
    assert err == "error: --masker tests.test_cli:batch_masker: input_ids is a batch of 2 sequences; return one\n"


@pytest.mark.parametrize("spec, problem", [("nomodule_here:f", "no module named 'nomodule_here'"),
                                           ("tests.test_cli:nothing", "has no function 'nothing'"),
                                           ("tests.test_cli", "expected module:factory")])
def test_a_masker_that_cannot_be_imported_is_named(tmp_path, capsys, load_tokenizer_or_skip, spec, problem):
    from harness.cli import main

    load_tokenizer_or_skip("qwen2.5-instruct")
    path = tmp_path / "conv.json"
    path.write_text(json.dumps(GOOD))
    assert main(["inspect", str(path), "--tokenizer", "qwen2.5-instruct", "--masker", spec]) == 2
    assert problem in capsys.readouterr().err
