"""What a dataset row gets wrong before any pipeline touches it: each check returns ``RowIssue``s, one per class.

- ``template_raises[<error>]``: the chat template raises on the row (no trainer can render it);
- ``tool_call_ids[call without result]`` / ``[result without call]``: a call whose ``id`` no later tool message
  answers (a call in the row's last message is not counted: nothing can follow it), or a tool message whose ``tool_call_id`` names no earlier call (rows without ids are not judged);
- ``control_token_in_content[<role>]``: a content (or tool-call argument) spells one of the tokenizer's control
  tokens (``<|im_end|>``): the rendering then holds a stop or header the model never generated there, and most
  pipelines cut turns at it;
- ``cut_at_max_length``: the rendering is longer than ``max_length`` and the last assistant turn's last trained
  token (its stop) lies beyond it: a trainer that truncates never trains that turn's end;
- notes, not failures (a correct pipeline trains such a row right): ``ends_with_<role>``, the row's last message is
  not an assistant turn (trainers that train or require the last turn drop such rows or train nothing of them:
  their drop shows as the pipeline's ``masker_raised``).
- ``arguments_written_as_string``: a tool call's ``arguments`` are a JSON *string* and the template writes that
  string as a JSON string literal (``"{\\"user_id\\": ...}"``, double-encoded: Qwen2.5's and Llama 3.1's
  ``tojson``), so the model learns to emit an escaped string where the tool parser expects an object.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from harness.adapters import transformers as hf


@dataclass(frozen=True)
class RowIssue:
    key: str  # the failure class, e.g. "tool_call_ids[call without result]"
    detail: str  # what in the row, with message indices and the offending text
    tokens: int = 0  # tokens affected, where that is meaningful (0: the row as a whole)


def template_error(tokenizer, messages: Sequence[dict], tools: Sequence[dict] | None,
                   template_kwargs: dict | None = None) -> tuple[str | None, RowIssue | None]:
    """``(rendering, None)``, or ``(None, issue)`` when the chat template raises on the row."""
    try:
        return hf.render(tokenizer, messages, tools, **(template_kwargs or {})), None
    except Exception as error:  # the template's own raise_exception, a jinja error, a type error in the template
        text = str(error).splitlines()[0] if str(error) else ""
        return None, RowIssue(f"template_raises[{type(error).__name__}]", f"the chat template raises: {text[:300]}")


def tool_call_id_issues(messages: Sequence[dict]) -> list[RowIssue]:
    calls: dict[str, int] = {}  # id -> message index of the call
    answered: set[str] = set()
    orphans = []
    for index, message in enumerate(messages):
        for call in message.get("tool_calls") or []:
            if isinstance(call, dict) and isinstance(call.get("id"), str) and call["id"]:
                calls[call["id"]] = index
        if message.get("role") == "tool" and isinstance(message.get("tool_call_id"), str):
            call_id = message["tool_call_id"]
            if call_id in calls:
                answered.add(call_id)
            else:
                orphans.append(f"message {index} answers tool_call_id {call_id!r}, which no earlier call has")
    issues = []
    last = len(messages) - 1  # a row may end with a call (the model learns to call): no result can follow it
    unanswered = [f"message {i} calls id {c!r}" for c, i in calls.items() if c not in answered and i != last]
    ids_used = any(m.get("role") == "tool" and m.get("tool_call_id") for m in messages)
    if unanswered and ids_used:
        issues.append(RowIssue("tool_call_ids[call without result]", "; ".join(unanswered)))
    if orphans:
        issues.append(RowIssue("tool_call_ids[result without call]", "; ".join(orphans)))
    return issues


def _texts(message: dict) -> list[str]:
    texts = [message["content"]] if isinstance(message.get("content"), str) else []
    for call in message.get("tool_calls") or []:
        arguments = (call.get("function") or {}).get("arguments") if isinstance(call, dict) else None
        texts.append(arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False))
    return texts


def control_token_issues(tokenizer, messages: Sequence[dict]) -> list[RowIssue]:
    controls = sorted(hf.special_token_strings(tokenizer), key=len, reverse=True)
    by_role: dict[str, list[str]] = {}
    for index, message in enumerate(messages):
        for text in _texts(message):
            spelled = [c for c in controls if c in text]
            if spelled:
                by_role.setdefault(str(message.get("role")), []).append(f"message {index} spells {spelled[:3]}")
    return [RowIssue(f"control_token_in_content[{role}]", "; ".join(where)) for role, where in by_role.items()]


def cut_issue(last_trained: int | None, total: int, max_length: int | None) -> RowIssue | None:
    """The last assistant turn loses its end when the rendering (``total`` tokens) is cut at ``max_length``."""
    if max_length is None or last_trained is None or last_trained < max_length:
        return None
    return RowIssue("cut_at_max_length", f"the rendering has {total} tokens; the last assistant turn's last trained "
                    f"token is token {last_trained}, beyond max_length {max_length}: its stop is never trained",
                    tokens=last_trained - max_length + 1)


def string_arguments_issues(rendering: str, messages: Sequence[dict]) -> list[RowIssue]:
    found = []
    for index, message in enumerate(messages):
        for position, call in enumerate(message.get("tool_calls") or []):
            arguments = (call.get("function") or {}).get("arguments") if isinstance(call, dict) else None
            if not isinstance(arguments, str):
                continue
            try:
                if not isinstance(json.loads(arguments), dict):
                    continue
            except json.JSONDecodeError:
                continue
            literals = {json.dumps(arguments), json.dumps(arguments, ensure_ascii=False)}
            if any(literal in rendering for literal in literals):
                found.append(f"message {index} tool_calls[{position}]: written as {sorted(literals)[0][:80]}")
    if not found:
        return []
    return [RowIssue("arguments_written_as_string", "; ".join(found))]


def ending_note(messages: Sequence[dict]) -> str | None:
    """``ends_with_<role>`` when the last message is not an assistant turn (a note: the row is not wrong)."""
    role = messages[-1].get("role") if messages else None
    return None if role == "assistant" or role is None else f"ends_with_{role}"
