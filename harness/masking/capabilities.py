"""``TemplateCapabilities``: what a chat template renders faithfully, as ``probe_template`` found it."""

from __future__ import annotations

from dataclasses import dataclass, fields

from harness.masking.tool_shapes import ToolShape

# Formats of tool-call ids, tried in order: OpenAI style first, then Mistral's 9 alphanumerics.
TOOL_CALL_ID_FORMATS = ("call_{:04d}", "{:09d}")


@dataclass(frozen=True)
class TemplateCapabilities:
    """What a chat template renders faithfully (every message's text appears in the rendering).

    tool_call_content: the content a tool-call-only assistant turn takes (None where accepted, else "").
    tool_call_id: a ``str.format`` pattern for call ids the template accepts (``tool_call_id.format(n)``).
    tool_call_text: text content next to tool calls is rendered too.
    reasoning_field: the message field the template renders as the last assistant turn's reasoning.
    reasoning_with_tool_calls: that field may be set on a tool-call turn.
    multi_step_tools: call, result, call, result, answer in one assistant episode renders.
    tool_results: ``tool`` messages render (as the template's tool turn, or as another turn:
        SmolLM3 writes them as user turns).
    text_tool_calls: structured ``tool_calls`` are dropped but tool results render: a call is
        written as text in the assistant content, ``tool_call_tag`` (the tag the template's tool
        prompt documents, such as ``tool_call``) around ``{"name": ..., "arguments": ...}``, or
        that JSON alone where the template names no tag.
    tools_required: the template raises unless ``tools`` is given: every conversation carries tools.
    tool_shape: how tool schemas and call arguments must be written (``harness.masking.tool_shapes``).
    empty_answers: an assistant turn without tool calls may have empty content (Ministral 3 raises
        "Assistant message must have a string or a list of chunks in content or a list of tool calls").
    repeated_user_texts: two user turns may have the same text. False where the template compares
        messages by value, so a copy of a turn renders unlike a distinct turn (Mistral Small 3.2 and
        Nemo write the tools before every user turn equal to the last one).
    adapted: what the probe changed from the plain OpenAI format, one phrase each (coverage lines).
    """

    system_role: bool = True
    multi_turn: bool = True
    requires_alternation: bool = False
    tools: bool = True
    parallel_calls: bool = True
    consecutive_tool_messages: bool = True
    multi_step_tools: bool = True
    tool_call_content: str | None = None
    tool_call_text: bool = True
    tool_call_id: str = TOOL_CALL_ID_FORMATS[0]
    reasoning_field: str | None = "reasoning_content"
    reasoning_with_tool_calls: bool = True
    tool_results: bool = True
    text_tool_calls: bool = False
    tool_call_tag: str | None = None
    tools_required: bool = False
    tool_shape: ToolShape = ToolShape()
    empty_answers: bool = True
    repeated_user_texts: bool = True
    adapted: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # why each failing probe failed, for summary()

    def make_tool_call_id(self, n: int) -> str:
        return self.tool_call_id.format(n)

    def summary(self) -> str:
        parts = []
        for f in fields(self):
            if f.name == "errors":
                continue
            parts.append(f"{f.name}={getattr(self, f.name)!r}")
        text = "TemplateCapabilities(" + ", ".join(parts) + ")"
        if self.errors:
            text += "\n  " + "\n  ".join(self.errors)
        return text


# Everything allowed: for conversations not adapted to any template (plain OpenAI format).
PERMISSIVE = TemplateCapabilities()
