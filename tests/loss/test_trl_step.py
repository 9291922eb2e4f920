"""trl's SFTTrainer step (``harness.adapters.trl.sft_training_step``) at the loss: its own dataset preparation,
collator and ``compute_loss`` on qwen2.5-instruct. The loss itself is right (every trained token weighs 1/N over the
step, every target is the next token); the one disagreement with the oracle is the known label defect of trl's
qwen2.5 training template (docs/findings/trl-qwen2_5-training-template-trains-generation-prompt-newline.md).

Then every row of ``SFT_LOSS_CONFIGURATIONS`` (completion-only loss, gradient accumulation, packing with each
strategy, padding-free) on fixed conversations, with planted variants of the properties they rely on (the micro-batch
count of accumulation, packed position ids, packed rows isolated), and the Hypothesis search per row (slow)."""

import pytest

from harness.masking.oracle import Policy
from tests.loss.conftest import CONVERSATIONS

# trl's documented convention, with the header's newline (the known defect) accepted either way.
HEADER_NEWLINE_SET_ASIDE = Policy(train_glue_after_stop=True, train_header_whitespace=None)


@pytest.fixture(scope="module")
def trl_step(qwen):
    from harness.adapters.trl import sft_training_step

    return sft_training_step(qwen)


def _judge(step, qwen, model, policy):
    from harness.loss.judging import findings, run_step

    view = run_step(step, model, qwen, CONVERSATIONS, policy=policy, normalization=step.normalization)
    return view, findings(view, qwen)


def test_trl_sft_loss_is_the_token_mean_over_the_step(qwen, tiny_model, trl_step):
    view, found = _judge(trl_step, qwen, tiny_model, HEADER_NEWLINE_SET_ASIDE)
    assert found == []
    trained = [q for q in view.predictions if q.relative is not None]
    # 17 generated tokens, the '\n' after each of the 4 <|im_end|> (trl's convention) and the 4 header '\n'.
    assert view.step_tokens == len(trained) == 25
    assert all(q.relative == pytest.approx(1, abs=2e-3) and abs(q.cosine) > 0.999 for q in trained)


@pytest.mark.xfail(strict=True, reason="trl 1.16.0: qwen2_5_training.jinja opens {% generation %} before the '\\n' "
                   "(id 198) that ends '<|im_start|>assistant\\n', so SFTTrainer's loss gives that untrained token "
                   "the full weight 1/N (docs/findings/trl-qwen2_5-training-template-trains-generation-prompt-"
                   "newline.md)")
def test_trl_sft_loss_trains_only_generated_tokens(qwen, tiny_model, trl_step):
    from harness.adapters.trl import TRL_SFT_POLICY

    _, found = _judge(trl_step, qwen, tiny_model, TRL_SFT_POLICY)
    assert [f.key for f in found] == [], "\n".join(map(str, found))


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason=(
    "datasets 5.2.0 (pyarrow 26.0.1): a dataset built as trl documents for tool calls (Dataset.from_list(rows, "
    "on_mixed_types='use_json')) turns a tool-call argument -0.0 into 0.0, so the row trl trains writes "
    "'\"gxitpecb\": 0.0' where the template renders '\"gxitpecb\": -0.0' (the '-' token is lost): "
    "rows_match_rendering on the search's seed-0 draw. Pinned by test_a_json_typed_dataset_loses_negative_zero"))
def test_trl_sft_step_passes_the_search(qwen):
    from harness import check_training_step
    from harness.adapters.trl import sft_training_step

    report = check_training_step(sft_training_step(qwen), qwen, policy=HEADER_NEWLINE_SET_ASIDE, max_examples=8)
    assert report.passed, str(report)


def test_a_json_typed_dataset_loses_negative_zero():
    """What the search above meets, at the data: datasets' Json type drops the sign of -0.0 (a plain dataset keeps
    it). When this fails, datasets has changed: the strict xfail above should then pass."""
    from harness.adapters.trl.dataset_files import json_typed_round_trip

    assert json_typed_round_trip({"r": -0.0, "a": 1}) == {"r": 0.0, "a": 1}
    assert str(json_typed_round_trip({"r": -0.0, "a": 1})["r"]) == "0.0"


# ---- SFT_LOSS_CONFIGURATIONS: each documented configuration of SFTTrainer's step ----------------------------------

# What each row shows on fixed conversations and in the search, beside the known header newline (set aside): only
# "wrapped" packing, whose conversations continue the row's earlier ones by design (documented: "may mix unrelated
# examples"; the row's known convention harness.adapters.trl.loss.WRAPPED_CONVENTION).
EXPECTED_KEYS = {"packing=wrapped": ["position_ids[not reset]"]}
PACKED = ("packing=bfd", "packing=bfd_split", "packing=wrapped", "padding_free")


def _row(name):
    from harness.adapters.trl.loss import SFT_LOSS_CONFIGURATIONS

    (row,) = [r for r in SFT_LOSS_CONFIGURATIONS if r.name == name]
    return row


def _policy(step):
    """The step's policy; for trl's qwen2.5 training template (assistant_only_loss rows) the header newline either
    way (the known defect)."""
    import dataclasses

    if step.policy.turns == "last":
        return step.policy
    return dataclasses.replace(step.policy, train_header_whitespace=None)


def _judge_fixed(step, qwen, model, conversations):
    from harness.loss.judging import findings, run_step
    from harness.loss.packing import packing_findings

    view = run_step(step, model, qwen, conversations, policy=_policy(step), normalization=step.normalization)
    found = findings(view, qwen)
    if not found:
        found += packing_findings(step, model, view, [dict(c) for c in conversations])
    return view, found


def test_sft_loss_configurations_are_well_formed(qwen):
    from harness.adapters.trl.loss import SFT_LOSS_CONFIGURATIONS, WRAPPED_CONVENTION

    names = [r.name for r in SFT_LOSS_CONFIGURATIONS]
    assert len(set(names)) == len(names) and set(PACKED) <= set(names)
    assert {"assistant_only_loss", "completion_only_loss", "gradient_accumulation_steps=2"} <= set(names)
    for row in SFT_LOSS_CONFIGURATIONS:
        step = row.build(qwen)  # the trainer itself is built on the first call
        assert step.normalization == "token" and not row.cannot
    assert WRAPPED_CONVENTION in _row("packing=wrapped").known


@pytest.fixture(scope="module")
def row_steps(qwen):
    """One step per row name, shared by this module's tests (each builds its SFTTrainer once, on the first call)."""
    steps: dict = {}

    def get(name):
        if name not in steps:
            steps[name] = _row(name).build(qwen)
        return steps[name]

    return get


# Two short conversations per fixed step (each is also run alone for the packing check; trl's fused LM head costs
# per position over the 151k vocabulary, so a short system prompt replaces Qwen's default one): the second is
# multi-turn (for completion-only loss its first answer is prompt), and their trained-token counts differ (so a mean
# per micro-batch differs from the mean per token). "packing=bfd_split" is "packing=bfd" when no sequence exceeds
# max_length (trl's docs say so): its fixed step is the slow search's only.
SHORT = [
    {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "hi"},
                  {"role": "assistant", "content": "yo there"}], "tools": None},
    {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "a"},
                  {"role": "assistant", "content": "b c d"}, {"role": "user", "content": "x"},
                  {"role": "assistant", "content": "y"}], "tools": None},
]
FIXED = {name: SHORT for name in ("completion_only_loss", "gradient_accumulation_steps=2", "packing=bfd",
                                  "packing=wrapped", "padding_free")}


@pytest.mark.parametrize("name", list(FIXED))
def test_sft_configuration_on_fixed_conversations(name, qwen, tiny_model, row_steps):
    view, found = _judge_fixed(row_steps(name), qwen, tiny_model, FIXED[name])
    assert [f.key for f in found] == EXPECTED_KEYS.get(name, []), "\n".join(map(str, found))
    assert view.step_tokens == sum(view.conversation_tokens) > 0
    if name in PACKED:  # one flattened row holding every conversation; position ids restart unless "wrapped"
        assert len(view.forwards) == 1 and view.forwards[0].input_ids.shape[0] == 1
        assert {p.row for p in view.places} == {0}
        assert (view.forwards[0].position_ids is not None) == (name != "packing=wrapped")
    if name == "gradient_accumulation_steps=2":  # one micro-batch per conversation, weights 1/N over both
        assert [f.input_ids.shape[0] for f in view.forwards] == [1, 1]
        assert view.conversation_tokens[0] != view.conversation_tokens[1]
    if name == "completion_only_loss":  # the last assistant message only: 'y', '<|im_end|>', the '\n' after it
        assert view.conversation_tokens[1] == 3


def test_accumulation_with_a_mean_per_micro_batch_is_caught(qwen, tiny_model, row_steps, monkeypatch):
    """Planted: the Trainer counts no num_items_in_batch (transformers before 4.46): trl's loss is then each
    micro-batch's own token mean, divided by the accumulation steps."""
    import transformers

    from harness.loss.judging import findings, run_step

    monkeypatch.setattr(transformers.Trainer, "_get_num_items_in_batch", lambda self, batches, device: None)
    step = row_steps("gradient_accumulation_steps=2")
    conversations = FIXED["gradient_accumulation_steps=2"]
    view = run_step(step, tiny_model, qwen, conversations, policy=_policy(step), normalization="token")
    assert [f.key for f in findings(view, qwen)] == ["token_weight[mean per micro-batch]"]


def test_packing_with_position_ids_not_reset_is_caught(qwen, tiny_model, row_steps, monkeypatch):
    """Planted: "bfd" packing whose position ids run on across the packed row."""
    import torch
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    def running_on(batch_seq_lengths):
        total = sum(sum(lengths) for lengths in batch_seq_lengths)
        return list(torch.arange(total).split([sum(lengths) for lengths in batch_seq_lengths]))

    monkeypatch.setattr(DataCollatorForLanguageModeling, "get_position_ids_from_packed_seq_lengths",
                        staticmethod(running_on))
    _, found = _judge_fixed(row_steps("packing=bfd"), qwen, tiny_model, FIXED["packing=bfd"])
    assert [f.key for f in found] == ["position_ids[not reset]"]


def test_padding_free_with_an_attention_mask_attends_across_rows(qwen, tiny_model, row_steps, monkeypatch):
    """Planted: the padding-free collator also returns an all-ones attention mask (what trl's comment at
    sft_trainer.py:177 warns of): transformers then builds one causal mask over the whole row and no longer reads
    the sequences from the (correctly reset) position ids, so the second conversation attends to the first."""
    import torch
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

    original = DataCollatorForLanguageModeling.torch_call

    def with_mask(self, examples):
        out = original(self, examples)
        out["attention_mask"] = torch.ones_like(out["input_ids"])
        return out

    monkeypatch.setattr(DataCollatorForLanguageModeling, "torch_call", with_mask)
    _, found = _judge_fixed(row_steps("padding_free"), qwen, tiny_model, FIXED["padding_free"])
    assert [f.key for f in found] == ["cross_row_attention"]


def _json_type_changes_an_argument(conversation) -> bool:
    """Whether a tool-call argument of ``conversation`` comes back otherwise from the datasets Json() type trl
    documents for tool calls (-0.0 as 0.0, 0.7 as 0.7000000000000001): the known datasets defect
    datasets-json-type-rounds-tool-call-float-arguments, which shows as rows_match_rendering."""
    import json

    from harness.adapters.trl.dataset_files import json_typed_round_trip

    for message in conversation["messages"]:
        for call in message.get("tool_calls") or ():
            arguments = call["function"]["arguments"]
            if isinstance(arguments, dict) and arguments and \
                    json.dumps(json_typed_round_trip(arguments)) != json.dumps(arguments):
                return True
    return False


@pytest.mark.slow
@pytest.mark.parametrize("name", ["completion_only_loss", "gradient_accumulation_steps=2", *PACKED])
def test_sft_configuration_passes_the_search(name, qwen):
    """The row's search (as the loss table runs it) shows only what is accounted for: a rows_match_rendering whose
    unmatched conversation holds a tool-call argument the Json() type rewrites (the known datasets defect), and the
    row's EXPECTED_KEYS."""
    from harness import check_training_step

    row = _row(name)
    step = row.build(qwen)
    report = check_training_step(step, qwen, policy=_policy(step), max_examples=4, seed=0, shrink=False,
                                 **dict(row.check))
    keys = list(report.keys)
    for failure in report.failures:
        if failure.key == "rows_match_rendering":
            assert failure.shown is not None and _json_type_changes_an_argument(
                failure.conversations[failure.shown]), str(failure)
            keys.remove("rows_match_rendering")
    assert keys == EXPECTED_KEYS.get(name, []), str(report)
    assert report.steps > 0 and (report.packed_steps > 0) == (name in PACKED)
    assert report.micro_batched_steps > 0 or name != "gradient_accumulation_steps=2"
