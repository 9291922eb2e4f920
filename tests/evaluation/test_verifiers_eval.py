"""A verifiers v1 environment (exact-match echo task) evaluated through the loopback
OpenAI-compatible server: an untrained tiny model scores ~0, the same model after a quick SFT
on the task scores clearly higher."""

from __future__ import annotations

import pytest

from harness.adapters.transformers import render
from harness.evaluation.chat_server import serve_chat_model
from harness.reports import write_json
from harness.evaluation.tiny_training import train_completions

from .conftest import tiny_gpt2

WORDS = ["apple", "river", "stone", "cloud", "tiger", "piano", "lemon", "rocket"]
ROWS = [{"prompt": f"Repeat: {a} {b}", "answer": f"{a} {b}"} for a, b in zip(WORDS, WORDS[3:] + WORDS[:3])]


@pytest.fixture(scope="module")
def echo_tokenizer():
    from harness.adapters.transformers import train_bpe_tokenizer

    return train_bpe_tokenizer([r["prompt"] + " " + r["answer"] for r in ROWS] * 2, 300)


def _evaluate(model, tokenizer, tmp_path):
    from harness.adapters.verifiers import evaluate_exact_match

    with serve_chat_model(model, tokenizer, model_name="tiny-echo") as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        return evaluate_exact_match(ROWS, base_url=base_url, model="tiny-echo", output_dir=tmp_path, max_tokens=12)


def test_untrained_vs_trained_on_echo_task(echo_tokenizer, tmp_path, harness_report_dir):
    model = tiny_gpt2(echo_tokenizer, seed=0)
    before = _evaluate(model, echo_tokenizer, tmp_path / "before")

    prompts = [render(echo_tokenizer, [{"role": "user", "content": r["prompt"]}], add_generation_prompt=True) for r in ROWS]
    train_completions(model, echo_tokenizer, list(zip(prompts, [r["answer"] for r in ROWS])), steps=60, lr=5e-3,
                      batch_size=8, add_eos=True)
    after = _evaluate(model, echo_tokenizer, tmp_path / "after")
    write_json(harness_report_dir, "verifiers_echo_cpu", {"untrained": before.summary(), "trained": after.summary()})

    assert before.num_rollouts == after.num_rollouts == len(ROWS)
    assert before.num_errors == after.num_errors == 0
    assert before.mean_reward <= 1 / len(ROWS)
    assert after.mean_reward >= 0.75, after.replies
    # The reward is exact match on what the model replied, as the endpoint served it.
    answers = {row["prompt"]: row["answer"] for row in ROWS}
    assert sorted(after.prompts) == sorted(answers)
    for reward, reply, prompt in zip(after.rewards, after.replies, after.prompts):
        assert reward == float(reply.strip() == answers[prompt])


@pytest.mark.parametrize(
    "reply, answer, match, expected",
    [
        (" apple river\n", "apple river", "exact", True),
        ("apple  river", "apple river", "exact", False),
        ("I think <answer>412</answer>", "412", "answer_tag", True),
        ("<answer>411</answer> no, <answer> 412 </answer>", "412", "answer_tag", True),
        ("<answer>412</answer> no, <answer>411</answer>", "412", "answer_tag", False),
        ("412", "412", "answer_tag", False),
    ],
)
def test_reply_matches(reply, answer, match, expected):
    from harness.adapters.verifiers import reply_matches

    assert reply_matches(reply, answer, match) is expected


def test_chat_messages_prompts_and_answer_tag_mode(echo_tokenizer, tmp_path):
    """Prompts given as chat messages reach the model through the template; the answer_tag reward."""
    from harness.adapters.verifiers import evaluate_exact_match

    rows = [{"prompt": [{"role": "user", "content": r["prompt"]}], "answer": r["answer"]} for r in ROWS[:2]]
    model = tiny_gpt2(echo_tokenizer, seed=0)
    prompts = [render(echo_tokenizer, r["prompt"], add_generation_prompt=True) for r in rows]
    train_completions(model, echo_tokenizer, [(p, f"<answer>{r['answer']}</answer>") for p, r in zip(prompts, rows)],
                      steps=60, lr=5e-3, batch_size=2, add_eos=True)
    with serve_chat_model(model, echo_tokenizer, model_name="tiny-echo") as base_url:
        result = evaluate_exact_match(rows, base_url=base_url, model="tiny-echo", output_dir=tmp_path,
                                      max_tokens=40, match="answer_tag")
    assert result.num_errors == 0 and result.mean_reward == 1.0, result.replies


def test_loopback_server_greedy_is_deterministic_and_sampling_is_seeded(echo_tokenizer):
    from openai import OpenAI

    model = tiny_gpt2(echo_tokenizer, seed=5)
    messages = [{"role": "user", "content": "Repeat: apple"}]
    with serve_chat_model(model, echo_tokenizer, model_name="tiny") as base_url:
        client = OpenAI(base_url=base_url, api_key="unused", max_retries=0)

        def ask(**kw):
            reply = client.chat.completions.create(model="tiny", messages=messages, max_tokens=8, **kw)
            return reply.choices[0].message.content, reply.usage.completion_tokens

        assert ask(temperature=0) == ask(temperature=0)
        assert ask(temperature=1.0, seed=1) == ask(temperature=1.0, seed=1)
        samples = {ask(temperature=1.0, seed=s)[0] for s in range(6)}
        assert len(samples) > 1  # a random-init model sampled at T=1 over ~300 tokens
        assert client.models.list().data[0].id == "tiny"
