"""The oracle's refusal rate on sampled conversations (harness/survey/refusals.py)."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis.internal.conjecture import providers

import harness
from harness.survey.refusals import refusals, sample_conversations


def test_refusals_count_conversations_the_template_cannot_render(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("gemma-2-it")  # Gemma 2 raises on a system message
    conversation = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "u"},
                                 {"role": "assistant", "content": "a"}], "tools": None}
    plain = {"messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a"}], "tools": None}
    result = refusals(tokenizer, [conversation, plain])
    assert (len(result.refused), len(result.judged), result.rate) == (1, 1, 0.5)
    assert "System role not supported" in result.reasons()[0]


def test_sampled_conversations_are_reproducible(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    first = sample_conversations(tokenizer, 4, seed=3)
    assert first == sample_conversations(tokenizer, 4, seed=3) and len(first) == 4
    with pytest.raises(ValueError, match="count"):
        sample_conversations(tokenizer, 0)


_DRAW = """
import json, sys
from harness.adapters.transformers import load_tokenizer
from harness.survey.refusals import sample_conversations
json.dump(sample_conversations(load_tokenizer(sys.argv[1]), int(sys.argv[2]), seed=int(sys.argv[3])), sys.stdout)
"""


@pytest.fixture
def import_constants(tmp_path, monkeypatch):
    """Imports a new local module full of string and integer literals, and returns one of its strings: Hypothesis
    adds the literals of every local module in ``sys.modules`` to the values it draws from (as in a pytest worker
    that imported more of the harness). The module leaves ``sys.modules`` after the test."""
    folder = tmp_path / "planted"
    folder.mkdir()
    name = f"survey_constants_{tmp_path.name.replace('-', '_')}"
    literals = [f"planted constant {i}" for i in range(40)]
    (folder / f"{name}.py").write_text(f"STRINGS = {literals!r}\nNUMBERS = {list(range(1000, 1040))!r}\n")
    monkeypatch.syspath_prepend(str(folder))

    def load() -> str:
        importlib.import_module(name)
        return literals[7]

    yield load
    sys.modules.pop(name, None)


def test_sample_is_the_same_whatever_ran_before_and_in_a_fresh_process(load_tokenizer_or_skip, import_constants,
                                                                        tmp_path):
    """Regression: the corpus templates' samples depended on the modules imported before (Hypothesis draws 5 % of
    its values from literals of local modules imported so far), so a seed gave another sample in a pytest worker
    than alone or in a script."""
    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    first = sample_conversations(tokenizer, 4, seed=7)
    for other in ("gemma-2-it", "phi-3.5-mini-instruct"):  # other templates, other strategies, in between
        sample_conversations(load_tokenizer_or_skip(other), 3, seed=7)
    planted = import_constants()
    if hasattr(providers, "_get_local_constants"):  # the pool really grew (the hook the fix neutralises)
        assert planted in providers._get_local_constants().strings
    assert sample_conversations(tokenizer, 4, seed=7) == first and len(first) == 4

    root = Path(harness.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    fresh = subprocess.run([sys.executable, "-c", _DRAW, "qwen2.5-instruct", "4", "7"], capture_output=True,
                           text=True, env=env, cwd=tmp_path, timeout=120)
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    assert json.loads(fresh.stdout) == first
