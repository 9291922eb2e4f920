"""verify_tokenizer: vocabulary vs config/model, special tokens, template control tokens, eos/pad/bos, added
tokens vs training data. The seed case: 45 added <MUL_a_b_c> tokens (ids 50304–50348) on a GPT-2-style
vocabulary padded to 50304, absent from the SFT data."""

from __future__ import annotations

import json

import pytest

from harness import verify_tokenizer

MUL_TOKENS = [f"<MUL_{a}_{b}_{a * b}>" for a in range(1, 10) for b in range(1, 6)]
SFT_ROWS = [
    {"messages": [{"role": "user", "content": f"What is {a} times {b}?"},
                  {"role": "assistant", "content": f"{a} times {b} is {a * b}."}]}
    for a in range(1, 10) for b in range(1, 6)
]


@pytest.fixture(scope="module")
def mul_tokenizer():
    from harness.adapters.transformers import gpt2_style_tokenizer

    tokenizer = gpt2_style_tokenizer(50304)
    assert tokenizer.add_tokens(MUL_TOKENS) == 45
    assert tokenizer.convert_tokens_to_ids([MUL_TOKENS[0], MUL_TOKENS[-1]]) == [50304, 50348]
    return tokenizer


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_seed_added_tokens_absent_from_sft_data_and_outside_the_embedding(mul_tokenizer, tmp_path):
    from harness.adapters.transformers import build_gpt2_lm

    model = build_gpt2_lm(vocab_size=50304, n_layer=1, n_head=1, n_embd=8, n_positions=64)
    training_file = _write_jsonl(tmp_path / "sft.jsonl", SFT_ROWS)
    report = verify_tokenizer(mul_tokenizer, model=model, config={"vocab_size": 50304},
                              training_file=training_file, added_tokens=MUL_TOKENS)
    (absent,) = report.of("added_tokens_in_training_data")
    assert absent.severity == "error" and set(absent.tokens) == set(MUL_TOKENS)
    assert "45 of 45" in absent.message and "ids 50304–50348" in absent.message
    (outside,) = report.of("vocab_size_config")
    assert set(outside.tokens) == set(MUL_TOKENS) and "50304–50348" in outside.message
    assert {f.message.split(" has ")[0] for f in report.of("vocab_size_model")} == {
        "the model's input embedding", "the model's output embedding (LM head)"}
    # The tiny template's role tags were never added to this vocabulary: split into ordinary pieces.
    (control,) = report.of("template_control_tokens")
    assert set(control.tokens) == {"<|system|>", "<|user|>", "<|assistant|>"}
    # Added tokens are single tokens that round-trip, alone and in text.
    assert not report.of("special_token_single") + report.of("special_token_roundtrip") + report.of("special_token_in_text")
    assert not report.passed


def test_seed_fixed_passes(mul_tokenizer, tmp_path):
    """The same tokenizer with the role tags added, an embedding sized to it, and the tokens in the data."""
    import copy

    tokenizer = copy.deepcopy(mul_tokenizer)
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|system|>", "<|user|>", "<|assistant|>"]})
    rows = SFT_ROWS + [{"messages": [{"role": "user", "content": "table"},
                                     {"role": "assistant", "content": " ".join(MUL_TOKENS)}]}]
    report = verify_tokenizer(tokenizer, config={"vocab_size": len(tokenizer)},
                              generation_config={"eos_token_id": 50256, "pad_token_id": 50256},
                              training_file=_write_jsonl(tmp_path / "sft.jsonl", rows), added_tokens=MUL_TOKENS)
    assert report.passed, str(report)
    assert not report.of("added_tokens_in_training_data") and not report.of("vocab_size_config")
    assert not report.of("template_control_tokens")
    assert [f.check for f in report.findings] == ["special_ids_agree"]  # pad is eos: a warning
    assert report.findings[0].severity == "warning" and "pad is eos" in report.findings[0].message


def test_default_added_tokens_are_the_non_special_ones_the_template_does_not_write(mul_tokenizer, tmp_path):
    training_file = tmp_path / "sft.txt"
    training_file.write_text("3 x 4 = <MUL_3_4_12>\n", encoding="utf-8")
    (absent,) = verify_tokenizer(mul_tokenizer, training_file=training_file).of("added_tokens_in_training_data")
    assert len(absent.tokens) == 44 and "<MUL_3_4_12>" not in absent.tokens


def test_turn_end_token_must_stop_generation(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("phi-3.5-mini-instruct")
    wrong = verify_tokenizer(tokenizer, generation_config={"eos_token_id": [32000]}).of("special_ids_agree")
    assert any(f.severity == "error" and "'<|end|>' (id 32007)" in f.message for f in wrong)
    right = verify_tokenizer(tokenizer, generation_config={"eos_token_id": [32007, 32001, 32000]})
    assert not [f for f in right.of("special_ids_agree") if "<|end|>" in f.message]


def test_real_tokenizer_against_its_config(load_tokenizer_or_skip):
    """deepseek-r1-distill: config.json and generation_config.json ship with it; its template writes DeepSeek-V3
    tool tokens that its Qwen-based vocabulary lacks."""
    from harness.assets.tokenizers import find_tokenizer

    tokenizer = load_tokenizer_or_skip("deepseek-r1-distill-qwen-1.5b")
    report = verify_tokenizer(tokenizer, config=find_tokenizer("deepseek-r1-distill-qwen-1.5b").path)
    assert "vocab_size_config" not in report.skipped and not report.of("vocab_size_config")
    (control,) = report.of("template_control_tokens")
    assert "<｜tool▁calls▁begin｜>" in control.tokens
    assert not report.of("special_token_single") and not report.of("special_token_roundtrip")
