"""python -m harness inspect: one row per token with role and ✓/✗."""

import json
import subprocess
import sys


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
