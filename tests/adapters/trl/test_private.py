"""The private-API shim of the trl adapter (``harness.adapters.trl._private``): what it patches comes back."""

from __future__ import annotations


def test_random_dataset_fingerprints_patch_is_undone():
    import datasets.arrow_dataset as arrow_dataset
    import datasets.fingerprint as fingerprint
    from datasets import Dataset

    from harness.adapters.trl._private import random_dataset_fingerprints

    originals = (fingerprint.update_fingerprint, arrow_dataset.update_fingerprint)
    rows = Dataset.from_list([{"x": 1}, {"x": 2}])
    with random_dataset_fingerprints():
        assert fingerprint.update_fingerprint is not originals[0]
        assert arrow_dataset.update_fingerprint is not originals[1]
        first, second = (rows.map(lambda row: {"y": row["x"]})._fingerprint for _ in range(2))
        assert first != second  # random, not a hash of the (identical) arguments
    assert (fingerprint.update_fingerprint, arrow_dataset.update_fingerprint) == originals


def test_release_accelerate_forward_drops_only_instance_attributes():
    from harness.adapters.trl._private import release_accelerate_forward

    class Model:
        def forward(self):
            return "own"

    model = Model()
    model.forward, model._original_forward, model.kept = (lambda: "wrapped"), (lambda: "original"), 1
    release_accelerate_forward(model)
    assert model.forward() == "own" and not hasattr(model, "_original_forward") and model.kept == 1


def test_shipped_chat_templates_include_the_training_templates():
    from harness.adapters.trl._private import shipped_chat_templates

    names = [path.name for path in shipped_chat_templates()]
    assert "qwen3_training.jinja" in names and names == sorted(names)
