"""Nightly: every trainer's environment builds over the running environment and its data path runs there.

Each adapter's ``ENVIRONMENT`` must declare everything its data path imports beyond the harness's own dependencies:
what a long-used machine happens to hold does not count (run this tier through ``../shared/tools/fresh-venv``, a
fresh virtualenv set up the README's way). A build failure or an import error fails here, loudly, instead of the
trainer's defect tests skipping or erroring one by one.
"""

from __future__ import annotations

import pytest

from harness.conformance.trainers import ADAPTERS, load_trainer
from tests.adapters.trainer_conversations import TOOL_CALL

TEMPLATE = "qwen2.5-instruct"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ADAPTERS))
def test_the_trainers_data_path_runs_in_its_environment(name, load_tokenizer_or_skip):
    from harness.conformance.run import masker_outputs

    load_tokenizer_or_skip(TEMPLATE)
    trainer = load_trainer(name)
    assert not isinstance(trainer, str), trainer
    (output,) = masker_outputs(trainer, TEMPLATE, [TOOL_CALL], log=lambda line: None)
    assert "error" not in output, f"{trainer.label}'s data path failed in its environment: {output['error']}"
    trained = [i for i, label in zip(output["input_ids"], output["labels"]) if label != -100]
    assert output["input_ids"] and trained, f"{trainer.label} trained no token of a tool-call conversation"
