"""trl's real SFT data path (``sft_trainer_masker``) on real Qwen tokenizers.

The expected labels are computed independently of trl: render the conversation with the tokenizer's own
template, render the prompt with ``add_generation_prompt=True``, and expect exactly the tokens the model would
generate after that prompt, up to and including ``<|im_end|>``.
"""

from __future__ import annotations

import pytest

from harness.adapters.transformers import encode_with_offsets, render
from harness.masking.check import check_masker, judge
from harness.masking.oracle import Policy
from harness.strategies import conversations_for

CONVERSATION = [
    {"role": "user", "content": "What is 17 + 25?"},
    {"role": "assistant", "content": "17 + 25 = 42. The answer is 42."},
]

EXPECTED_TRAINING_TEMPLATE = {"qwen2.5-instruct": "qwen2_5_training.jinja", "qwen3": "qwen3_training.jinja"}


@pytest.fixture(scope="module")
def maskers(load_tokenizer_or_skip):
    from harness.adapters.trl import sft_trainer_masker

    built = {}

    def get(name):
        if name not in built:
            tokenizer = load_tokenizer_or_skip(name)
            built[name] = (tokenizer, sft_trainer_masker(tokenizer))
        return built[name]

    return get


def expected_trained_positions(tokenizer, messages) -> tuple[list[int], list[int]]:
    """(input_ids, positions of the assistant's generated answer + <|im_end|>) from the tokenizer alone."""
    full = render(tokenizer, messages)
    prompt = render(tokenizer, messages[:-1], add_generation_prompt=True)
    assert full.startswith(prompt), "template is not prefix-preserving for this conversation"
    end = full.index("<|im_end|>", len(prompt)) + len("<|im_end|>")
    ids, offsets = encode_with_offsets(tokenizer, full)
    positions = [i for i, (s, e) in enumerate(offsets) if s >= len(prompt) and e <= end and e > s]
    return ids, positions


def trained_positions(out) -> list[int]:
    return [i for i, label in enumerate(out["labels"]) if label != -100]


@pytest.mark.parametrize("name", ["qwen2.5-instruct", "qwen3"])
def test_masker_uses_trl_training_template(maskers, name):
    _, masker = maskers(name)
    assert masker.training_template_swapped
    assert masker.chat_template_name == EXPECTED_TRAINING_TEMPLATE[name]
    assert "{% generation %}" in masker.chat_template_used or "{%- generation %}" in masker.chat_template_used


@pytest.mark.parametrize("name", ["qwen2.5-instruct", "qwen3"])
def test_masker_labels_are_unshifted_copies_of_input_ids(maskers, name):
    _, masker = maskers(name)
    out = masker(CONVERSATION, None)
    assert len(out["labels"]) == len(out["input_ids"])
    assert trained_positions(out), "nothing trained"
    for i in trained_positions(out):
        assert out["labels"][i] == out["input_ids"][i]


@pytest.mark.parametrize("name", ["qwen2.5-instruct", "qwen3"])
def test_masker_trains_whole_answer_and_im_end_and_no_prompt_token(maskers, name):
    tokenizer, masker = maskers(name)
    out = masker(CONVERSATION, None)
    ids, expected = expected_trained_positions(tokenizer, CONVERSATION)
    assert out["input_ids"] == ids
    trained = set(trained_positions(out))
    assert set(expected) <= trained, "an answer token or <|im_end|> is not trained"
    prompt_len = len(encode_with_offsets(tokenizer, render(tokenizer, CONVERSATION[:1], add_generation_prompt=True))[0])
    assert not trained & set(range(prompt_len - 1)), "a user/system token is trained"
    assert tokenizer.convert_tokens_to_ids("<|im_end|>") in [ids[i] for i in trained]


@pytest.mark.parametrize("name", ["qwen2.5-instruct", "qwen3"])
@pytest.mark.xfail(
    strict=True,
    reason="trl 1.16.0: the *_training.jinja templates put '<|im_end|>\\n' inside {% generation %}, so the '\\n' "
    "(id 198) after <|im_end|> is trained (a documented convention, Policy.train_glue_after_stop), and "
    "qwen2_5_training.jinja also trains the '\\n' (id 198) that ends the '<|im_start|>assistant\\n' generation "
    "prompt (docs/findings/trl-qwen2_5-training-template-trains-generation-prompt-newline.md)",
)
def test_masker_labels_are_exactly_answer_plus_im_end(maskers, name):
    tokenizer, masker = maskers(name)
    out = masker(CONVERSATION, None)
    _, expected = expected_trained_positions(tokenizer, CONVERSATION)
    assert trained_positions(out) == expected


@pytest.mark.parametrize("name", ["qwen2.5-instruct", "qwen3"])
def test_masker_extra_trained_tokens_are_only_template_newlines(maskers, name):
    """Pins the deviation in the xfail above: the only extra trained tokens are single '\\n' tokens."""
    tokenizer, masker = maskers(name)
    out = masker(CONVERSATION, None)
    _, expected = expected_trained_positions(tokenizer, CONVERSATION)
    extra = sorted(set(trained_positions(out)) - set(expected))
    assert [tokenizer.decode([out["input_ids"][i]]) for i in extra] in (["\n"], ["\n", "\n"])


def test_masker_with_tools_trains_tool_call_and_final_answer_not_tool_result(maskers):
    tokenizer, masker = maskers("qwen2.5-instruct")
    tools = [
        {
            "type": "function",
            "function": {
                "name": "lookup",
                "description": "Look up a key.",
                "parameters": {"type": "object", "properties": {"key": {"type": "string"}}, "required": ["key"]},
            },
        }
    ]
    messages = [
        {"role": "user", "content": "Find k7."},
        {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "lookup", "arguments": {"key": "k7"}}}]},
        {"role": "tool", "name": "lookup", "content": "RESULT93"},
        {"role": "assistant", "content": "<answer>93</answer>"},
    ]
    out = masker(messages, tools)
    text = tokenizer.decode([t for t, label in zip(out["input_ids"], out["labels"]) if label != -100])
    assert '"name": "lookup"' in text and "<answer>93</answer>" in text
    assert "RESULT93" not in text and "Find k7" not in text


def test_masker_raises_for_template_trl_cannot_patch(load_tokenizer_or_skip):
    from harness.adapters.trl import sft_trainer_masker

    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    plain = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}"
    with pytest.raises(ValueError, match="refused the chat template"):
        sft_trainer_masker(tokenizer, chat_template=plain)


# ---------------------------------------------------------------------------------------------------------------
# Property tests: trl's SFT data path through harness.check_masker, on every template trl accepts.
# The tokenizer handed to check_masker carries the template trl actually renders with (it swaps in its
# *_training.jinja variant), as the contract requires.
# ---------------------------------------------------------------------------------------------------------------

# trl's training templates close {% generation %} after the "\n" that follows the stop token: a documented
# convention (Policy.train_glue_after_stop), not a bug.
TRL_CONVENTION = Policy(train_glue_after_stop=True)
PROPERTY_EXAMPLES = 8


def _judged_tokenizer(tokenizer, masker):
    import copy

    judged = copy.deepcopy(tokenizer)
    judged.chat_template = masker.chat_template_used
    return judged


# Each masker call runs datasets.map, whose fingerprint pickles the tokenizer: about 1 s for Qwen and Phi,
# 7 s for Gemma's 256k vocabulary, so Gemma (gemma_training.jinja passes 25 examples) runs only nightly.
@pytest.mark.parametrize(
    "name, examples, policy",
    [
        ("qwen3", PROPERTY_EXAMPLES, TRL_CONVENTION),
        ("gemma-2-it", 25, TRL_CONVENTION),
        # phi3_5_training.jinja also trains the <|endoftext|> it writes after a final assistant turn.
        ("phi-3.5-mini-instruct", 5, Policy(train_glue_after_stop=True, train_conversation_end=True)),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_sft_data_path_properties(maskers, name, examples, policy):
    from hypothesis import settings

    if name == "gemma-2-it" and settings.get_current_profile_name() != "thorough":
        pytest.skip("slow (datasets hashes the 256k-token tokenizer on every call): --harness-profile thorough")
    tokenizer, masker = maskers(name)
    report = check_masker(
        masker, _judged_tokenizer(tokenizer, masker), max_examples=examples, policy=policy,
        conversations=conversations_for(_judged_tokenizer(tokenizer, masker), tools=False),
    )
    assert report.passed, str(report)


@pytest.mark.xfail(
    strict=True,
    reason="trl 1.16.0 bug: qwen2_5_training.jinja opens {% generation %} before the '\\n' (id 198) that ends the "
    "'<|im_start|>assistant\\n' generation prompt, so that prompt token is trained in every assistant turn "
    "(docs/findings/trl-qwen2_5-training-template-trains-generation-prompt-newline.md)",
)
def test_sft_data_path_properties_qwen25(maskers):
    tokenizer, masker = maskers("qwen2.5-instruct")
    judged = _judged_tokenizer(tokenizer, masker)
    report = check_masker(masker, judged, max_examples=PROPERTY_EXAMPLES, policy=TRL_CONVENTION,
                          conversations=conversations_for(judged, tools=False))
    assert report.passed, str(report)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("gpt-oss-20b", marks=pytest.mark.xfail(strict=True, reason=(
            "trl 1.16.0 bug: gptoss_training.jinja opens {% generation %} before the '<|start|>' (200006) 'assistant' "
            "(173781) header that the generation prompt writes, so both are trained in every assistant turn "
            "(docs/findings/trl-gptoss-training-template-trains-assistant-header.md)"))),
        pytest.param("deepseek-r1-distill-qwen-1.5b", marks=pytest.mark.xfail(strict=True, reason=(
            "trl 1.16.0 bug: deepseek_r1_distill_training.jinja puts the '<｜Assistant｜>' (151645) role token, which "
            "the generation prompt writes, inside {% generation %}, so it is trained in every assistant turn "
            "(docs/findings/trl-deepseek-r1-distill-training-template-trains-assistant-role-token.md)"))),
    ],
)
def test_sft_data_path_properties_header_bugs(maskers, name):
    tokenizer, masker = maskers(name)
    judged = _judged_tokenizer(tokenizer, masker)
    report = check_masker(masker, judged, max_examples=PROPERTY_EXAMPLES, policy=TRL_CONVENTION,
                          conversations=conversations_for(judged, tools=False))
    assert report.passed, str(report)


def _calls_with_different_argument_keys() -> list[dict]:
    messages = [{"role": "user", "content": "x"}]
    for n, arguments in enumerate([{}, {"a": ""}]):
        call_id = f"call_{n}"
        messages += [
            {"role": "assistant", "content": None, "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": "get_weather", "arguments": arguments}}]},
            {"role": "tool", "tool_call_id": call_id, "name": "get_weather", "content": "r"},
        ]
    return messages + [{"role": "assistant", "content": "done"}]


def test_a_dataset_built_without_the_json_type_rewrites_tool_call_arguments():
    """The convention behind index line trl-sft-dataset-without-json-type-rewrites-tool-call-arguments: without the
    Json() type trl's dataset docs ask for, Arrow gives the call with arguments {} the other call's key, as null
    (rendered ' {"', 'a', '":', ' null' instead of ' {}'); with it (on_mixed_types="use_json"), {} stays {}."""
    from datasets import Dataset

    messages = _calls_with_different_argument_keys()
    plain = Dataset.from_list([{"messages": messages}])[0]["messages"][1]["tool_calls"][0]["function"]["arguments"]
    as_documented = Dataset.from_list([{"messages": messages}], on_mixed_types="use_json")[0]["messages"][1]
    assert plain == {"a": None}
    assert as_documented["tool_calls"][0]["function"]["arguments"] == {}


def test_sft_data_path_keeps_tool_call_arguments(maskers):
    """Built as trl documents for tool calls (the Json() type), the trained call is the conversation's: arguments {}
    stay {} next to a call with arguments {"a": ""}."""
    tokenizer, masker = maskers("qwen2.5-instruct")
    tools = [{"type": "function", "function": {"name": "get_weather", "description": "w",
              "parameters": {"type": "object", "properties": {"a": {"type": "string"}}}}}]
    messages = _calls_with_different_argument_keys()
    _, failures = judge(masker, _judged_tokenizer(tokenizer, masker), messages, tools, policy=TRL_CONVENTION)
    assert not [f for f in failures if f.property == "input_ids_match_rendering"], failures[0]


def test_llama31_template_is_refused_by_trl(load_tokenizer_or_skip):
    from harness.adapters.trl import sft_trainer_masker

    with pytest.raises(ValueError, match="refused the chat template of 'llama-3.1-instruct'"):
        sft_trainer_masker(load_tokenizer_or_skip("llama-3.1-instruct"))


def test_prompt_completion_trains_the_token_that_straddles_the_boundary(load_tokenizer_or_skip):
    """trl >= 1.14.2: completion_mask starts where prompt and prompt+completion tokens diverge. Before, it started
    at len(prompt_ids), so ' Paris' (prompt 'The capital of France is Par' + completion 'is.') was never trained:
    the completion's first characters were lost."""
    from harness.adapters.trl import sft_prompt_completion_labels

    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    (out,) = sft_prompt_completion_labels(tokenizer, [{"prompt": "The capital of France is Par", "completion": "is."}])
    tokens = tokenizer.convert_ids_to_tokens(out["input_ids"])
    trained = [token for token, label in zip(tokens, out["labels"]) if label != -100]
    assert tokens[5:7] == ["ĠParis", "."], tokens
    assert trained[:2] == ["ĠParis", "."], f"trained {trained} of {tokens}"
