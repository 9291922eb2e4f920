"""What a chat template does, found by rendering marker conversations (no oracle involved).

One fixed conversation (system, user, a tool call, its result, an answer, a user, an answer with reasoning), written in
the shape the template's probe found it accepts, is rendered prefix by prefix:

- prefix stability by transition: whether rendering one more message only appends (``u→a ✓``), per pair of roles
  (``a*`` an assistant turn with tool calls, ``t`` a tool result), and whether the generation prompt is a prefix of
  the rendered turn (``gp→a``);
- where the assistant header sits: what the generation prompt adds, or ``previous turn`` when it adds nothing (the
  turn before wrote it); ``always open`` when a rendering without the generation prompt already ends with it;
- the stop tokens the oracle finds after an answer and after a tool call (two different ones: two stop tokens);
- how a tool result is written (its role word and the text before it);
- whether the reasoning of an earlier assistant turn is kept or dropped.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from harness.adapters.transformers import decode, render

_TOOL = {"type": "function", "function": {"name": "probe_lookup", "description": "Look a thing up.", "parameters": {
    "type": "object", "properties": {"query": {"type": "string"}}, "required": ["query"]}}}
_ROLE_WORDS = ("ipython", "observation", "function result", "tool_response", "tool_result", "tool", "user", "system",
               "human", "developer", "assistant", "model")


@dataclass
class Behaviours:
    """What rendering showed; each field a short text for the survey table (``?`` where it could not be found)."""

    transitions: dict[str, str] = field(default_factory=dict)  # "u→a" -> "✓" | "✗" | "!" (the prefix raised)
    header: str = "?"
    stops: str = "?"
    tool_role: str = "?"
    reasoning: str = "?"
    problems: list[str] = field(default_factory=list)

    def transitions_text(self) -> str:
        return " ".join(f"{k} {v}" for k, v in self.transitions.items()) or "?"


def _short(text: str, width: int = 28) -> str:
    text = repr(text)[1:-1]
    return text if len(text) <= width else text[: width - 1] + "…"


def _role(message: dict) -> str:
    return {"system": "s", "user": "u", "tool": "t"}.get(message["role"], "a*" if message.get("tool_calls") else "a")


def _conversation(capabilities) -> list[dict]:
    from harness.masking.tool_shapes import probe_call

    messages: list[dict] = []
    if capabilities.system_role:
        messages.append({"role": "system", "content": "smarkerone"})
    messages.append({"role": "user", "content": "umarkerone"})
    if capabilities.tools:
        call_id = capabilities.make_tool_call_id(1)
        messages += [
            {"role": "assistant", "content": capabilities.tool_call_content,
             "tool_calls": [probe_call("probe_lookup", "vmarkerone", call_id, capabilities.tool_shape)]},
            {"role": "tool", "tool_call_id": call_id, "name": "probe_lookup", "content": "tmarkerone"},
        ]
    messages += [{"role": "assistant", "content": "amarkerone"}, {"role": "user", "content": "umarkertwo"},
                 {"role": "assistant", "content": "amarkertwo"}]
    return messages


class _Renderer:
    def __init__(self, tokenizer, tools):
        self.tokenizer, self.tools = tokenizer, tools

    def __call__(self, messages, generation_prompt: bool = False) -> str | None:
        try:
            return render(self.tokenizer, messages, self.tools, add_generation_prompt=generation_prompt)
        except Exception:
            return None


def _stops(tokenizer, messages, tools) -> str:
    """The stop tokens the oracle finds after answers and after tool calls (``?`` where it refuses the conversation)."""
    from harness.masking.oracle import OracleError, build_oracle

    try:
        oracle = build_oracle(tokenizer, messages, tools)
    except OracleError as error:
        return f"? ({str(error).splitlines()[0][:60]})"
    kinds: dict[str, set[str]] = {"answer": set(), "call": set()}
    for index, positions in oracle.stop_tokens.items():
        kind = "call" if messages[index].get("tool_calls") else "answer"
        kinds[kind].add(decode(tokenizer, [oracle.input_ids[p] for p in positions]) if positions else "none")
    answer, call = " or ".join(sorted(kinds["answer"])) or "none", " or ".join(sorted(kinds["call"]))
    return f"answer {answer}" + ("" if not call else " (call: same)" if call == answer else f", call {call}")


def _role_before(text: str) -> str:
    """The role word of the header nearest before a tool result's text (a word right after ``>``, ``|``, ``[``, ``_``
    or a line start, not followed by a letter: ``<|im_start|>user``, ``<|observation|>``, ``<|begin_tool_result|>``),
    ``inline`` where there is none (the result is written inside the assistant turn), and that text's last
    characters."""
    window = text[-240:]
    found = [(m.start(), m.group(1).lower()) for m in re.finditer(
        r"(?:^|(?<=[>|\[\n_]))(" + "|".join(_ROLE_WORDS) + ")(?![a-z])", window, flags=re.IGNORECASE)]
    word = max(found)[1] if found else "inline"
    return f"{word}: {_short(text[-24:], 26)}"


def survey_behaviours(tokenizer, capabilities) -> Behaviours:
    """Render the marker conversation prefix by prefix; see the module docstring."""
    from harness.masking.tool_shapes import adapt_tool

    tools = [adapt_tool(_TOOL, capabilities.tool_shape)] if capabilities.tools or capabilities.tools_required else None
    out = Behaviours()
    rendered = _Renderer(tokenizer, tools)
    messages = _conversation(capabilities)
    full = [rendered(messages[:k]) for k in range(len(messages) + 1)]
    for k in range(1, len(messages)):
        label = f"{_role(messages[k - 1])}→{_role(messages[k])}"
        before, after = full[k], full[k + 1]
        mark = "!" if before is None or after is None else ("✓" if after.startswith(before) else "✗")
        out.transitions[label] = "✗" if out.transitions.get(label) == "✗" else mark
    answers = [k for k, m in enumerate(messages) if m["role"] == "assistant" and not m.get("tool_calls")]
    prompts = [(k, rendered(messages[:k], True)) for k in answers]
    if all(p is not None and full[k + 1] is not None for k, p in prompts):
        out.transitions["gp→a"] = "✓" if all(full[k + 1].startswith(p) for k, p in prompts) else "✗"
    last = answers[-1]
    prompt, history = rendered(messages[:last], True), full[last]
    if prompt is not None and history is not None:
        added = prompt[len(os.path.commonprefix([prompt, history])):]
        out.header = _short(added) if added else "previous turn"
        if full[-1] is not None and prompt == history:
            out.header += " (always open)"
    out.stops = _stops(tokenizer, messages, tools)
    if full[-1] is not None and "tmarkerone" in full[-1]:
        out.tool_role = _role_before(full[-1][: full[-1].index("tmarkerone")])
    out.reasoning = _reasoning(rendered, capabilities)
    return out


def _reasoning(rendered, capabilities) -> str:
    field_name = capabilities.reasoning_field
    if not field_name:
        return "not rendered"
    messages = [{"role": "user", "content": "umarkerone"},
                {"role": "assistant", "content": "amarkerone", field_name: "rmarkerone"},
                {"role": "user", "content": "umarkertwo"},
                {"role": "assistant", "content": "amarkertwo", field_name: "rmarkertwo"}]
    text = rendered(messages)
    if text is None:
        return "?"
    return f"{'kept' if 'rmarkerone' in text else 'dropped'} ({field_name})"
