"""Masker factories for ``harness.check_masker``, each with the convention renderers documents, spelled as a
``Policy`` (``masker.policy``): ``training_sample_masker`` (``build_training_sample`` with its default
``sampled_mask``, or ``role_to_mask`` / ``content_sft_roles`` / ``message_loss_mask`` / ``ensure_final_stop``) and
``trajectory_step_masker`` (``build_trajectory_step``, the RL split at the common prefix).

renderers is imported inside functions, so importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.adapters.renderers.renderer import copied_messages, copied_tools


def training_sample_masker(
    renderer,
    *,
    role_to_mask: Callable[[dict], bool] | None = None,
    content_sft_roles: set[str] | None = None,
    ensure_final_stop: bool = False,
    message_loss_mask: Callable[[list[dict]], list[bool]] | None = None,
):
    """``masker(messages, tools) -> {"input_ids", "loss_mask"}`` from ``renderers.build_training_sample``.

    ``message_loss_mask`` is a function of the messages (the masker does not know them in advance).
    ``masker.policy`` is the convention renderers documents for these options:

    * default (``sampled_mask``): exactly what the model would sample; the stop token, not the glue after it;
    * ``role_to_mask`` on a renderer without ``sampled_mask`` (``DefaultRenderer``): documented to train every token
      attributed to the role, the ``<|im_start|>assistant\\n`` header and glue included. No ``Policy`` field spells
      "header trained" yet (``train_assistant_header``, issue 8): ``masker.policy`` is then None;
    * ``message_loss_mask`` selecting only the final message: ``Policy(turns="last")``.
    """
    from renderers import build_training_sample

    from harness.masking.oracle import Policy

    def masker(messages, tools):
        messages = copied_messages(messages)
        sample = build_training_sample(
            renderer,
            messages,
            role_to_mask=role_to_mask,
            tools=copied_tools(tools),
            content_sft_roles=content_sft_roles,
            ensure_final_stop=ensure_final_stop,
            message_loss_mask=message_loss_mask(messages) if message_loss_mask else None,
        )
        return {"input_ids": list(sample.token_ids), "loss_mask": [int(x) for x in sample.loss_mask]}

    has_sampled_mask = type(renderer).__name__ != "DefaultRenderer"
    if not has_sampled_mask:
        masker.policy = None  # attribution-only: header and glue trained by design; no Policy field for the header
    else:
        masker.policy = Policy(turns="last" if message_loss_mask is not None else "all")
    return masker


def last_message_only(messages: list[dict]) -> list[bool]:
    """``message_loss_mask`` selecting only the final message."""
    return [k == len(messages) - 1 for k in range(len(messages))]


def trajectory_step_masker(renderer):
    """``masker(messages, tools)`` from ``renderers.build_trajectory_step(prompt=messages[:-1],
    completion=[messages[-1]])``: ``prompt_mask`` + ``completion_mask`` over ``prompt_ids + completion_ids``.

    Documented convention: every completion token is trained (``completion_mask = [True] * len``), where the
    completion is the full render after its common prefix with the generation prompt; only the final turn is the
    completion: ``Policy(turns="last")``. The full render's glue after the stop token (Qwen's ``\\n`` after
    ``<|im_end|>``) lands in the completion too; no flag documents it, so the policy keeps it untrained."""
    from renderers import build_trajectory_step

    from harness.masking.oracle import Policy

    def masker(messages, tools):
        messages = copied_messages(messages)
        step = build_trajectory_step(renderer, messages[:-1], messages[-1:], tools=copied_tools(tools))
        ids = list(step["prompt_ids"]) + list(step["completion_ids"])
        mask = [int(x) for x in step["prompt_mask"]] + [int(x) for x in step["completion_mask"]]
        return {"input_ids": ids, "loss_mask": mask}

    masker.policy = Policy(turns="last")
    return masker
