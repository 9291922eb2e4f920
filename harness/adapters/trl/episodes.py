"""A scripted GRPO episode: one rollout of a shared conversation shape through trl's own generation and tool loop,
with a model that says exactly the shape's assistant turns, as a ``harness.rollouts.episodes.Episode``.

``calculator`` is the tool trl's loop runs for the shapes that call one.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.adapters.transformers import tiny_causal_lm
from harness.adapters.trl.rollouts import grpo_rollout_batch


def _scripted_generate(model, completions: Sequence[Sequence[int]], pad_id: int):
    """Replace ``model.generate`` (on the instance) by a scripted model: each input row gets the first of
    ``completions`` not already contained in it (turn k of the script once turns 0..k-1 are in its context)."""
    import torch

    def contains(row: list[int], part: list[int]) -> bool:
        n = len(part)
        return any(row[i : i + n] == part for i in range(len(row) - n + 1))

    def generate(*args, **kwargs):
        input_ids = kwargs["input_ids"] if "input_ids" in kwargs else args[0]
        attention = kwargs.get("attention_mask")
        outputs = []
        for row in range(input_ids.shape[0]):
            ids = input_ids[row][attention[row].bool()].tolist() if attention is not None else input_ids[row].tolist()
            turn = next((list(c) for c in completions if not contains(ids, list(c))), list(completions[-1]))
            outputs.append(turn)
        width = max(len(o) for o in outputs)
        new = torch.full((input_ids.shape[0], width), pad_id, dtype=input_ids.dtype)
        for row, out in enumerate(outputs):
            new[row, : len(out)] = torch.tensor(out, dtype=input_ids.dtype)
        return torch.cat([input_ids, new.to(input_ids.device)], dim=1)

    model.generate = generate


def calculator(expression: str) -> str:
    """Evaluate an arithmetic expression.

    Args:
        expression: The arithmetic expression, e.g. "48 / 2".
    """
    import ast
    import operator

    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}

    def value(node):
        if isinstance(node, ast.BinOp) and type(node.op) in ops:
            return ops[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        raise ValueError(f"unsupported expression {expression!r}")

    result = value(ast.parse(expression, mode="eval").body)
    return str(int(result)) if float(result).is_integer() else str(result)


def scripted_grpo_episode(tokenizer, shape: str):
    """One GRPO rollout of ``rollout_shapes.conversation(shape)`` through trl's own generation and tool loop, the
    model scripted: its turns are the shape's assistant turns as the tokenizer's template says the model emits them
    (``rollout_shapes.scripted_completion``). trl's tool loop runs ``calculator`` itself. The rollout stops at the
    first answer (trl's loop injects no user turns). Returns a ``harness.rollouts.episodes.Episode``: turns recorded from the
    model's generate calls; one sample, prompt (untrained) + completion with GRPO's loss mask; ``incremental_ids``
    trl's concatenation, ``full_ids`` the tokenizer's rendering of the messages trl built."""
    from harness.adapters.transformers import json_schema
    from harness.rollouts.shapes import conversation, scripted_completion
    from harness.rollouts.episodes import Episode, SampledTurn, TrainingSample

    messages, tools = conversation(shape)
    last = next(k for k, m in enumerate(messages) if m["role"] == "assistant" and not m.get("tool_calls"))
    messages = messages[: last + 1]
    completions = [scripted_completion(tokenizer, messages, tools, k) for k, m in enumerate(messages) if m["role"] == "assistant"]
    tokenizer = copy_tokenizer(tokenizer)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = tiny_causal_lm(tokenizer, hidden_size=8, heads=2)
    _scripted_generate(model, completions, tokenizer.pad_token_id)

    def no_reward(completions, **kwargs):
        return [0.0] * len(completions)

    row = {"prompt": [messages[0]]}
    batch = grpo_rollout_batch(model, tokenizer, [row], [no_reward], tools=[calculator] if tools else None,
                               num_generations=2, max_completion_length=sum(len(c) for c in completions) + 64)
    prompt, completion, mask = batch["prompt_ids"][0], batch["completion_ids"][0], batch["loss_mask"][0]
    turns = tuple(SampledTurn(tuple(i), tuple(o)) for i, o in batch["generations"] if list(i[: len(prompt)]) == list(prompt))
    turns = tuple(dict.fromkeys(turns))  # the two generations of the group are identical
    sample = TrainingSample(tuple(prompt) + tuple(completion), (False,) * len(prompt) + tuple(bool(x) for x in mask))
    full = _rendered_ids(tokenizer, messages, [json_schema(calculator)] if tools else None)
    return Episode("trl/GRPOTrainer", turns, (sample,), incremental_ids=sample.token_ids, full_ids=tuple(full),
                   declared_samples=1)


def copy_tokenizer(tokenizer):
    import copy

    return copy.deepcopy(tokenizer)


def _rendered_ids(tokenizer, messages, tools) -> list[int]:
    from harness.adapters.transformers import encode_with_offsets, render

    return encode_with_offsets(tokenizer, render(tokenizer, messages, tools))[0]
