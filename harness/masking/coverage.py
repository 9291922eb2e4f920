"""What a check exercised: how many conversations had each feature, and what the template cannot express.

A pass means little for a feature no conversation had. The report counts, per feature, the
conversations that had it, and names the features the template cannot express with the probe's
reason (SmolLM3 drops structured tool calls; Gemma renders no tool turn). ``gaps`` are the
features a template does render but the check never produced: a pass that did not test them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.masking.conversation import REASONING_FIELDS
from harness.masking.template_probe import TemplateCapabilities

FEATURES = (
    "system",
    "multi-turn",
    "tool calls",
    "tool results",
    "parallel calls",
    "multi-step loops",
    "reasoning",
    "control strings",
    "non-ASCII",
    "long (>1024 tokens)",
)
LONG_TOKENS = 1024


def features_of(messages: Sequence[Mapping[str, Any]], *, token_count: int, control_strings: bool) -> set[str]:
    """The features one conversation has."""
    found: set[str] = set()
    roles = [m["role"] for m in messages]
    if "system" in roles or "developer" in roles:
        found.add("system")
    if roles.count("user") > 1:
        found.add("multi-turn")
    steps = 0
    for k, message in enumerate(messages):
        follows_tool = k + 1 < len(messages) and messages[k + 1]["role"] == "tool"
        if message["role"] == "user":
            steps = 0
        if message["role"] == "assistant" and (message.get("tool_calls") or follows_tool):
            found.add("tool calls")
            steps += 1
            if steps > 1:
                found.add("multi-step loops")
            results = 0
            for later in messages[k + 1 :]:
                if later["role"] != "tool":
                    break
                results += 1
            if len(message.get("tool_calls") or []) > 1 or results > 1:
                found.add("parallel calls")
        if message["role"] == "tool":
            found.add("tool results")
        if message["role"] == "assistant" and (
            any(message.get(name) for name in REASONING_FIELDS) or "<think>" in (message.get("content") or "")
        ):
            found.add("reasoning")
    if control_strings:
        found.add("control strings")
    texts = [str(m.get("content") or "") for m in messages] + [str(m.get(n) or "") for m in messages for n in REASONING_FIELDS]
    if any(any(ord(ch) > 127 for ch in text) for text in texts):
        found.add("non-ASCII")
    if token_count > LONG_TOKENS:
        found.add("long (>1024 tokens)")
    return found


def inexpressible(capabilities: TemplateCapabilities) -> dict[str, str]:
    """Features the template cannot express, each with the probe's reason."""

    def reason(*labels: str) -> str:
        lines = [e for e in capabilities.errors if e.startswith(labels)]
        return lines[0] if lines else "the probe's conversation did not render"

    out: dict[str, str] = {}
    if not capabilities.system_role:
        out["system"] = reason("system_role")
    if not capabilities.multi_turn:
        out["multi-turn"] = reason("multi_turn")
    if not capabilities.tool_results:
        out["tool calls"] = out["tool results"] = reason("tools(", "text_tool_calls")
    elif not capabilities.tools:
        out["structured tool calls"] = reason("tools(") + " (calls are written as text in the content)"
    if capabilities.tool_results and not (capabilities.parallel_calls and capabilities.consecutive_tool_messages):
        out["parallel calls"] = reason("parallel_calls", "consecutive_tool_messages") if capabilities.tools else (
            "calls written as text: one call per turn"
        )
    if capabilities.tool_results and not capabilities.multi_step_tools:
        out["multi-step loops"] = reason("multi_step_tools", "text_tool_calls(steps=2)")
    if capabilities.reasoning_field is None:
        out["reasoning field"] = reason("reasoning:") + " (reasoning only as inline <think> text)"
    return out


@dataclass
class Coverage:
    """Per feature, how many conversations had it; and what the template cannot express."""

    counts: Counter = field(default_factory=Counter)
    conversations: int = 0
    cannot_express: dict[str, str] = field(default_factory=dict)
    adapted: tuple[str, ...] = ()  # what the probe changed from the plain OpenAI format for this template

    def add(self, features: set[str]) -> None:
        self.conversations += 1
        self.counts.update(features)

    @property
    def gaps(self) -> list[str]:
        """Features the template renders but no checked conversation had (tool results above all)."""
        return [f for f in ("tool calls", "tool results") if f not in self.cannot_express and not self.counts[f]]

    def summary(self) -> str:
        """What was exercised, what the template cannot express, and (a third line, where any) what the
        conversations were adapted to so that the template renders them."""
        exercised = ", ".join(f"{name} {self.counts[name]}" for name in FEATURES)
        missing = "; ".join(f"{name} ({why})" for name, why in self.cannot_express.items()) or "nothing"
        text = f"exercised ({self.conversations} conversations): {exercised}\ntemplate cannot express: {missing}"
        if self.adapted:
            text += "\nadapted to the template: " + "; ".join(self.adapted)
        return text
