"""The golden file format: one column per pipeline, 'n/a: reason' for a pipeline or conversation that cannot be
produced, and per-conversation notes when a pipeline's tokens are not the template's."""

from __future__ import annotations

from harness.golden_masks.diff import changed_rows
from harness.golden_masks.pipelines import Pipeline, PipelineUnavailable
from harness.golden_masks.table import golden_text


def _own_template_mask(tokenizer):
    from harness.adapters.transformers import assistant_tokens_mask_masker

    masker = assistant_tokens_mask_masker(tokenizer)
    masker.template, masker.template_label = tokenizer.chat_template, "the tokenizer's own"
    return masker


def _drops_first_token(tokenizer):
    inner = _own_template_mask(tokenizer)

    def masker(messages, tools):
        out = inner(messages, tools)
        return {"input_ids": out["input_ids"][1:], "assistant_masks": out["assistant_masks"][1:]}

    masker.template, masker.template_label = inner.template, inner.template_label
    return masker


def _unavailable(tokenizer):
    raise PipelineUnavailable("needs a GPU")


def test_columns_and_na_reasons(load_tokenizer_or_skip):
    tokenizer = load_tokenizer_or_skip("phi-3.5-mini-instruct")
    pipelines = [Pipeline("own", "own template mask", _own_template_mask), Pipeline("gpu", "x", _unavailable),
                 Pipeline("short", "drops a token", _drops_first_token)]
    text = golden_text("phi", tokenizer, pipelines)
    assert "# gpu: n/a: needs a GPU" in text
    assert "## parallel-calls\nn/a: the template renders no parallel tool calls" in text
    single = text.split("## single-turn\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert single[0].startswith("# short: n/a here: its tokens differ from the template's rendering from token 0")
    assert single[1].split() == ["idx", "id", "role", "exp", "own", "short", "token"]
    # Phi's own template has no {% generation %} markers: the own-template mask trains nothing, '-' where n/a.
    rows = [row.split() for row in single[2:]]
    assert all(row[4] == "✗" and row[5] == "-" for row in rows)
    assert any(row[3] == "✓" for row in rows)


def test_changed_rows_name_the_conversation():
    old = "# h\n\n## a\nrow 1\nrow 2\n\n## b\nrow 3\n"
    assert changed_rows(old, old) == []
    assert changed_rows(old, old.replace("row 3", "row 3'")) == ["@@ line 8: ## b", "- row 3", "+ row 3'"]
