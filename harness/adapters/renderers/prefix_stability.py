"""Prefix stability, template x transition: is a conversation's rendering a prefix of its rendering with one more
message (tool result, user turn, assistant turn)? For the tokenizer's chat template (text) and the renderer (ids).

Run ``python -m harness.adapters.renderers [out.json]`` for the table over every shared tokenizer.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.adapters.renderers.renderer import RendererUnavailable, copied_messages, copied_tools, renderer_for

TRANSITIONS = ("tool", "user", "assistant")


def _transition_conversations(transition: str) -> tuple[list[dict], dict, list[dict] | None]:
    from harness.rollouts.shapes import CALCULATOR

    user = {"role": "user", "content": "What is 48 / 2?"}
    answer = {"role": "assistant", "content": "<answer>24</answer>", "reasoning_content": "Half of 48 is 24."}
    call = {"role": "assistant", "content": "", "reasoning_content": "Use the calculator.", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "calculator", "arguments": {"expression": "48 / 2"}}}]}
    if transition == "tool":
        return [user, call], {"role": "tool", "tool_call_id": "call_1", "name": "calculator", "content": "24"}, [CALCULATOR]
    if transition == "user":
        return [user, answer], {"role": "user", "content": "And 48 / 4?"}, None
    if transition == "assistant":
        return [user, answer, {"role": "user", "content": "And 48 / 4?"}], {"role": "assistant", "content": "<answer>12</answer>", "reasoning_content": "A quarter."}, None
    raise ValueError(transition)


def prefix_stability_table(names: Sequence[str], loader=None) -> list[dict]:
    """Template x transition: is the rendering of a conversation a prefix of its rendering with one more message
    (tool result after a tool call; user after an answer; assistant after a user)? Both renderings without the
    generation prompt. Two columns: ``hf_text`` (the tokenizer's chat template, text) and ``renderer_ids`` (the
    renderer's ``render`` token ids, with the renderer's own ``is_prefix_stable`` declaration). ``None``: the
    template/renderer cannot render that conversation (the error is kept)."""
    from harness.adapters.transformers import load_tokenizer, render
    from harness.rollouts.episodes import prefix_cell

    loader = loader or load_tokenizer
    rows = []
    for name in names:
        tokenizer = loader(name)
        try:
            renderer = renderer_for(tokenizer)
            declared = bool(renderer.is_prefix_stable)
            renderer_error = ""
        except RendererUnavailable as error:
            renderer, declared, renderer_error = None, None, str(error)[:160]
        for transition in TRANSITIONS:
            base, new, tools = _transition_conversations(transition)
            try:
                before, after = render(tokenizer, base, tools=tools), render(tokenizer, base + [new], tools=tools)
                text = prefix_cell(name, transition, before, after)
            except Exception as error:
                text = prefix_cell(name, transition, None, None, f"{type(error).__name__}: {error}"[:160])
            ids = None
            if renderer is not None:
                try:
                    a = renderer.render(copied_messages(base), tools=copied_tools(tools)).token_ids
                    b = renderer.render(copied_messages(base + [new]), tools=copied_tools(tools)).token_ids
                    ids = list(b[: len(a)]) == list(a)
                except Exception as error:
                    renderer_error = f"{type(error).__name__}: {error}"[:160]
            rows.append({
                "template": name,
                "transition": transition,
                "hf_text_prefix_stable": text.stable,
                "hf_text_detail": text.detail,
                "renderer": getattr(renderer, "harness_config_name", None),
                "renderer_ids_prefix_stable": ids,
                "renderer_declares_prefix_stable": declared,
                "renderer_error": renderer_error if ids is None else "",
            })
    return rows


def format_prefix_table(rows: list[dict]) -> str:
    def mark(value):
        return {True: "yes", False: "NO", None: "n/a"}[value]

    lines = [f"{'template':<30} {'transition':<10} {'hf text':<8} {'renderer ids':<12} {'declared':<8} renderer"]
    for r in rows:
        lines.append(f"{r['template']:<30} {r['transition']:<10} {mark(r['hf_text_prefix_stable']):<8} "
                     f"{mark(r['renderer_ids_prefix_stable']):<12} {mark(r['renderer_declares_prefix_stable']):<8} "
                     f"{r['renderer'] or '-'}")
    return "\n".join(lines)
