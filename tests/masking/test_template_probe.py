"""probe_template on real tokenizers agrees with what MANIFEST.json records about their templates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.masking.template_probe import TemplateCapabilities, probe_template

# Facts from /work/shared/tokenizers/MANIFEST.json ("notes" and "tools_detail"), per tokenizer.
EXPECTED = {
    "qwen2.5-instruct": dict(system_role=True, tools=True, parallel_calls=True, tool_call_content=None,
                             reasoning_field=None, requires_alternation=False),
    "qwen3": dict(system_role=True, tools=True, parallel_calls=True, reasoning_field="reasoning_content"),
    # "Template silently drops tools, tool_calls and tool messages."
    "phi-3.5-mini-instruct": dict(system_role=True, tools=False),
    # "Template raises on system role and on any tool role."
    "gemma-2-it": dict(system_role=False, tools=False, requires_alternation=True),
    # Llama 3.x raises "This model only supports single tool-calls at once!"
    "llama-3.2-instruct": dict(tools=True, parallel_calls=False, tool_call_content=None),
    # "Template drops tool_calls when content is set and crashes when content is None."
    "deepseek-r1-distill-qwen-1.5b": dict(system_role=True, tools=False, reasoning_field=None),
}
# Slower to load (gpt-oss, SmolLM3, Aya, Gemma-3, Llama-3.1) are checked by the oracle sweep in the
# strategies' report rather than here, to keep this file within CI's budget.


def _manifest_entry(name: str) -> dict | None:
    from harness.assets.tokenizers import find_tokenizer

    source = find_tokenizer(name)
    manifest = Path(source.path).parent / "MANIFEST.json" if source else None
    if manifest is None or not manifest.is_file():
        return None
    return json.loads(manifest.read_text()).get("folders", {}).get(name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_capabilities_match_manifest(load_tokenizer_or_skip, name):
    tokenizer = load_tokenizer_or_skip(name)
    capabilities = probe_template(tokenizer)
    for field, value in EXPECTED[name].items():
        assert getattr(capabilities, field) == value, f"{name}.{field}\n{capabilities.summary()}"
    entry = _manifest_entry(name)
    if entry and entry.get("tools_detail"):
        detail = entry["tools_detail"]
        # "supports tools" = renders, and the call and its result both appear in the rendering.
        rendered = bool(detail["renders_without_error"] and detail["tool_call_rendered"] and detail["tool_result_rendered"])
        assert capabilities.tools == rendered, capabilities.summary()


@pytest.mark.parametrize("name", ["deepseek-r1-distill-qwen-1.5b", "phi-3.5-mini-instruct"])
def test_templates_that_lose_tool_calls_do_not_support_tools(load_tokenizer_or_skip, name):
    capabilities = probe_template(load_tokenizer_or_skip(name))
    assert capabilities.tools is False
    assert capabilities.parallel_calls is False
    assert capabilities.tool_call_content == ""
    assert any("not rendered" in error for error in capabilities.errors), "a failed probe says why"


def test_probe_is_cached_and_summarised(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen3")
    first = probe_template(tokenizer)
    assert probe_template(tokenizer) is first
    assert isinstance(first, TemplateCapabilities)
    with pytest.raises(Exception):
        first.tools = False  # frozen
    assert "tools=True" in first.summary()
    assert first.make_tool_call_id(3) == "call_0003"


def test_probe_sees_a_changed_template(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen3")
    # A template without a system role: the cache is per template string.
    tokenizer.chat_template = (
        "{% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('no system') }}{% endif %}"
        "<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    )
    capabilities = probe_template(tokenizer)
    assert capabilities.system_role is False
    assert capabilities.tools is False  # tool calls are not rendered
    assert capabilities.multi_turn is True


# A tool-use template of the kind the issue found unjudged: it iterates ``tools`` (TypeError without
# them), reads every tool's and parameter's ``description`` and takes arguments only as JSON strings.
TOOLS_REQUIRED = (
    "<|im_start|>system\nTools:{% for tool in tools %}\n- {{ tool.function.name }}: {{ tool.function.description.strip() }}"
    "{% for name, p in tool.function.parameters.properties.items() %} {{ name }}={{ p.description.strip() }}{% endfor %}"
    "{% endfor %}<|im_end|>\n{% for m in messages %}{% if m.role == 'assistant' %}<|im_start|>assistant\n"
    "{{ m.content or '' }}{% for c in m.tool_calls or [] %}{% if c.function.arguments is not string %}"
    "{{ raise_exception('arguments must be a JSON string') }}{% endif %}<tool_call>{{ c.function.arguments }}</tool_call>"
    "{% endfor %}<|im_end|>\n{% else %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def test_probe_learns_required_tools_descriptions_and_string_arguments(load_tokenizer_or_skip):
    from hypothesis import given, settings

    from harness.strategies import conversations_for

    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    tokenizer.chat_template = TOOLS_REQUIRED
    capabilities = probe_template(tokenizer)
    assert capabilities.tools_required and capabilities.tools and capabilities.multi_turn and capabilities.system_role
    assert capabilities.tool_shape.schema == "described" and capabilities.tool_shape.arguments_json
    assert any("TypeError" in line for line in capabilities.adapted), capabilities.adapted
    assert any("JSON strings" in line for line in capabilities.adapted)

    @settings(max_examples=15, database=None, deadline=None)
    @given(conversations_for(tokenizer))
    def renders(conversation):
        assert conversation["tools"]
        calls = [c for m in conversation["messages"] for c in m.get("tool_calls") or []]
        assert all(isinstance(c["function"]["arguments"], str) for c in calls)
        from harness.adapters.transformers import render

        render(tokenizer, conversation["messages"], conversation["tools"])  # raises if a shape was wrong

    renders()


def test_nothing_renders_lists_each_shape_tried(load_tokenizer_or_skip):
    from harness.masking.template_probe import TemplateNotRenderable

    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    tokenizer.chat_template = "{{ raise_exception('this template renders nothing') }}"
    with pytest.raises(TemplateNotRenderable) as raised:
        probe_template(tokenizer)
    message = str(raised.value)
    assert "no tools" in message and "schema as given" in message and "schema described" in message
    assert message.count("this template renders nothing") == 3


# A Ministral-3-like template: an assistant turn with empty content and no tool calls raises.
EMPTY_ANSWER_RAISES = (
    "{% for m in messages %}{% if m.role == 'assistant' %}"
    "{% if not m.content and not m.tool_calls %}{{ raise_exception('Assistant message must have content') }}{% endif %}"
    "<|im_start|>assistant\n{{ m.content or '' }}<|im_end|>\n"
    "{% else %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
# A Mistral-Small-3.2/Nemo-like template: the tools go before every user turn *equal to* the last one.
TOOLS_BEFORE_EQUAL_USER_TURNS = (
    "{% set users = messages | selectattr('role', 'equalto', 'user') | list %}{% for m in messages %}"
    "{% if m.role == 'user' and tools and m == users[-1] %}[TOOLS]{{ tools | tojson }}[/TOOLS]{% endif %}"
    "<|im_start|>{{ m.role }}\n{{ m.content }}{% for c in m.tool_calls or [] %}<tool_call>{{ c.function | tojson }}"
    "</tool_call>{% endfor %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def _sample(tokenizer, count: int = 25) -> list[dict]:
    from harness.survey.refusals import sample_conversations

    return sample_conversations(tokenizer, count, seed=0)


def test_probe_learns_answers_must_not_be_empty(load_tokenizer_or_skip):
    from harness.adapters.transformers import render

    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    tokenizer.chat_template = EMPTY_ANSWER_RAISES
    capabilities = probe_template(tokenizer)
    assert capabilities.empty_answers is False and capabilities.repeated_user_texts is True
    assert any("answers never empty" in line and "must have content" in line for line in capabilities.adapted), \
        capabilities.adapted
    for conversation in _sample(tokenizer):
        answers = [m for m in conversation["messages"] if m["role"] == "assistant" and not m.get("tool_calls")]
        assert all(m["content"] for m in answers), conversation
        render(tokenizer, conversation["messages"], conversation["tools"])  # raises on an empty answer


def test_probe_learns_user_texts_must_not_repeat(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    tokenizer.chat_template = TOOLS_BEFORE_EQUAL_USER_TURNS
    capabilities = probe_template(tokenizer)
    assert capabilities.repeated_user_texts is False and capabilities.empty_answers is True and capabilities.tools
    assert any("never repeat" in line for line in capabilities.adapted), capabilities.adapted
    samples = _sample(tokenizer)
    assert any(sum(m["role"] == "user" for m in c["messages"]) > 2 for c in samples), "multi-turn samples drawn"
    for conversation in samples:
        users = [m["content"] for m in conversation["messages"] if m["role"] == "user"]
        assert len(users) == len(set(users)), users


def test_ordinary_templates_keep_empty_answers_and_repeated_user_texts(load_tokenizer_or_skip):
    capabilities = probe_template(load_tokenizer_or_skip("qwen2.5-instruct"))
    assert capabilities.empty_answers and capabilities.repeated_user_texts, capabilities.summary()
    assert not capabilities.adapted
