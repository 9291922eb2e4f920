"""Builds what every job starts from: the task tokenizer and a freshly initialised tiny model."""

from __future__ import annotations

import functools

from harness.learning.tasks import TASKS, TOKENIZER_CORPUS_TASKS, Task, get_task


def _render_with(tokenizer):
    import json

    def render(messages, tools_json):
        tools = json.loads(tools_json) if tools_json else None
        return tokenizer.apply_chat_template(messages, tools=tools, tokenize=False)

    return render


@functools.lru_cache(maxsize=None)
def _task_tokenizer_cached():
    from harness.learning.task_tokenizer import build_task_tokenizer

    # Pass 1: a bytes-only tokenizer, only to render the conversations with the chat template.
    bootstrap = build_task_tokenizer(["0123456789"], vocab_size=300)
    corpus = [text for task in (TASKS[n] for n in TOKENIZER_CORPUS_TASKS) for text in task.tokenizer_corpus(_render_with(bootstrap))]
    # Pass 2: merges trained on the rendered conversations of every task.
    return build_task_tokenizer(corpus)


@functools.lru_cache(maxsize=None)
def _own_tokenizer_cached(name: str, vocab_size: int):
    from harness.learning.task_tokenizer import build_task_tokenizer

    bootstrap = build_task_tokenizer(["0123456789"], vocab_size=300)
    return build_task_tokenizer(
        TASKS[name].tokenizer_corpus(_render_with(bootstrap)), vocab_size=vocab_size, merge_across_words=True
    )


def task_tokenizer(task: str | Task | None = None):
    """The byte-level BPE tokenizer of ``task`` (a fresh copy each call): the one shared by the learning tasks, or,
    for a task with ``own_tokenizer_vocab``, one trained on that task's conversations alone (its large vocabulary
    merges the fixed chat-template tool preamble into few tokens, so the tiny model attends over a short context)."""
    import copy

    task = None if task is None else get_task(task)
    if task is not None and task.own_tokenizer_vocab:
        return copy.deepcopy(_own_tokenizer_cached(task.name, task.own_tokenizer_vocab))
    return copy.deepcopy(_task_tokenizer_cached())


def fresh_model(tokenizer, size, seed: int):
    """A Qwen2 causal LM of ``size`` (hidden size, layers, heads), initialised from ``seed``."""
    from harness.adapters.transformers import tiny_causal_lm

    return tiny_causal_lm(
        tokenizer, hidden_size=size.hidden_size, layers=size.layers, heads=size.heads, mlp_ratio=4, max_positions=512,
        seed=seed,
    )
