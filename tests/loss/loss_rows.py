"""A stand-in adapter for the loss table's tests: two rows over the harness's reference step, one planted bug, one
that cannot run, one whose factory raises."""

from harness.loss.configurations import LossConfiguration


def reference(tokenizer, **bug):
    from harness.testing.planted_loss import reference_step

    return reference_step(tokenizer, tokenizer.eos_token, **bug)


def broken(tokenizer):
    raise RuntimeError("this factory cannot build its step")


LOSS_CONFIGURATIONS = (
    LossConfiguration("reference", "tests.loss.loss_rows:reference", "token", "the reference step",
                      check={"conversations_per_step": [2, 2], "tools": False, "hidden_size": 16}),
    LossConfiguration("mask ignored", "tests.loss.loss_rows:reference", "token", "a planted bug",
                      options={"unmasked": True},
                      check={"conversations_per_step": [2, 2], "tools": False, "hidden_size": 16, "max_rounds": 1}),
    LossConfiguration("needs a GPU", "tests.loss.loss_rows:reference", "token", "nowhere", cannot="needs CUDA"),
    LossConfiguration("broken", "tests.loss.loss_rows:broken", "token", "nowhere"),
)
