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
