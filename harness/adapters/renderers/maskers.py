"""Everything the harness asks of ``renderers`` (0.1.x). No other harness module imports renderers.

* ``renderer_for(tokenizer)``: ``create_renderer`` with the typed config that matches each shared tokenizer
  (``RENDERER_CONFIGS``), ``DefaultRenderer`` for the rest.
* Masker factories for ``harness.check_masker``, each with the convention renderers documents, spelled as a
  ``Policy`` (``masker.policy``): ``training_sample_masker`` (``build_training_sample`` with its default
  ``sampled_mask``, or ``role_to_mask`` / ``content_sft_roles`` / ``message_loss_mask`` / ``ensure_final_stop``)
  and ``trajectory_step_masker`` (``build_trajectory_step``, the RL split at the common prefix).
* ``rollout_episode``: a scripted rollout through the renderer (``bridge_to_next_turn`` turn by turn, the full
  ``render`` as fallback, as the verifiers train client does), trained per step with ``build_trajectory_step``;
  a ``harness.rollouts.episodes.Episode`` for the token-in/token-out properties.
* ``prefix_stability_table``: template x transition (append tool / user / assistant message).

renderers is imported inside functions, so importing this module is cheap.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

# tokenizer name -> (typed config name, config kwargs). Typed renderers exist for Qwen3, Llama 3.x and gpt-oss;
# Qwen2.5 (Hermes tool calls, the Qwen3 tool parser) and the rest go through DefaultRenderer (apply_chat_template).
RENDERER_CONFIGS: dict[str, tuple[str, dict]] = {
    "qwen3": ("Qwen3RendererConfig", {}),
    "llama-3.1-instruct": ("Llama3RendererConfig", {}),
    "llama-3.2-instruct": ("Llama3RendererConfig", {}),
    "gpt-oss-20b": ("GptOssRendererConfig", {}),
    "qwen2.5-instruct": ("DefaultRendererConfig", {"tool_parser": "qwen3"}),
    "deepseek-r1-distill-qwen-1.5b": ("DefaultRendererConfig", {"reasoning_parser": "think"}),
}
DEFAULT_CONFIG = ("DefaultRendererConfig", {})


class RendererUnavailable(RuntimeError):
    """The renderer cannot be built here (e.g. gpt-oss's harmony encoding needs a download)."""


def renderer_for(tokenizer, config_name: str | None = None, **config_kwargs: Any):
    """``create_renderer(tokenizer, <typed config>)`` for a shared tokenizer (by ``tokenizer.name_or_path``)."""
    import renderers

    if config_name is None:
        config_name, config_kwargs = RENDERER_CONFIGS.get(str(tokenizer.name_or_path), DEFAULT_CONFIG)
    if config_name == "Llama3RendererConfig" and "date_string" not in config_kwargs and "strftime_now" in (tokenizer.chat_template or ""):
        # The renderer pins "26 Jul 2024"; Llama 3.2's template writes today's date (strftime_now): match it.
        import datetime

        config_kwargs = {**config_kwargs, "date_string": datetime.datetime.now().strftime("%d %b %Y")}
    config = getattr(renderers, config_name)(**config_kwargs)
    try:
        renderer = renderers.create_renderer(tokenizer, config)
    except Exception as error:  # harmony's vocab download, a missing optional dependency
        raise RendererUnavailable(f"{config_name} for {tokenizer.name_or_path}: {type(error).__name__}: {error}") from error
    renderer.harness_config_name = config_name
    return renderer


def renderer_supports_tools(renderer) -> bool:
    return bool(getattr(renderer, "supports_tools", True))


def _messages(messages: Sequence[dict]) -> list[dict]:
    return [copy.deepcopy(dict(m)) for m in messages]


def _tools(tools) -> list[dict] | None:
    return [copy.deepcopy(dict(t)) for t in tools] if tools else None


# ---------------------------------------------------------------------------------------------------------------
# Masker factories
# ---------------------------------------------------------------------------------------------------------------


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
        messages = _messages(messages)
        sample = build_training_sample(
            renderer,
            messages,
            role_to_mask=role_to_mask,
            tools=_tools(tools),
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
        messages = _messages(messages)
        step = build_trajectory_step(renderer, messages[:-1], messages[-1:], tools=_tools(tools))
        ids = list(step["prompt_ids"]) + list(step["completion_ids"])
        mask = [int(x) for x in step["prompt_mask"]] + [int(x) for x in step["completion_mask"]]
        return {"input_ids": ids, "loss_mask": mask}

    masker.policy = Policy(turns="last")
    return masker


# ---------------------------------------------------------------------------------------------------------------
# Scripted rollouts (token in / token out)
# ---------------------------------------------------------------------------------------------------------------


def rollout_episode(tokenizer, renderer, messages: Sequence[dict], tools=None, *, completions=None):
    """One scripted rollout of ``messages`` through ``renderer``, as an RL pipeline built on renderers runs it.

    Turn by turn: the model's prompt is ``bridge_to_next_turn(previous prompt, previous completion, new
    messages)`` (``render(..., add_generation_prompt=True)`` when the bridge declines or for the first turn); the
    scripted model samples ``completions[k]`` (default: ``rollout_shapes.scripted_completion``, from the
    tokenizer's own template), recorded at that boundary. Training: one ``build_trajectory_step`` per assistant
    turn (its ``prompt_ids + completion_ids`` with ``completion_mask``), the RL split at the common prefix.
    ``incremental_ids``: the last model prompt + last completion; ``full_ids``: ``render(messages)``.
    ``episode.bridged`` lists, per turn after the first, whether the bridge extended the sampled tokens."""
    from renderers import build_trajectory_step

    from harness.rollouts.shapes import scripted_completion
    from harness.rollouts.episodes import Episode, SampledTurn, TrainingSample

    messages, tools = _messages(messages), _tools(tools)
    assistant = [k for k, m in enumerate(messages) if m["role"] == "assistant"]
    turns, samples, bridged = [], [], []
    previous: tuple[list[int], list[int], int] | None = None
    for n, k in enumerate(assistant):
        prompt_ids = None
        if previous is not None:
            prev_prompt, prev_completion, prev_k = previous
            result = renderer.bridge_to_next_turn(prev_prompt, prev_completion, messages[prev_k + 1 : k], tools=tools)
            bridged.append(result is not None)
            if result is not None:
                prompt_ids = list(result.token_ids)
        if prompt_ids is None:
            prompt_ids = list(renderer.render(messages[:k], tools=tools, add_generation_prompt=True).token_ids)
        completion = list(completions[n]) if completions is not None else scripted_completion(tokenizer, messages, tools, k)
        turns.append(SampledTurn(tuple(prompt_ids), tuple(completion)))
        step = build_trajectory_step(renderer, messages[:k], [messages[k]], tools=tools)
        ids = tuple(step["prompt_ids"]) + tuple(step["completion_ids"])
        samples.append(TrainingSample(ids, tuple(bool(x) for x in list(step["prompt_mask"]) + list(step["completion_mask"]))))
        previous = (prompt_ids, completion, k)
    full = tuple(renderer.render(messages, tools=tools).token_ids)
    episode = Episode(
        pipeline=f"renderers/{type(renderer).__name__}",
        turns=tuple(turns),
        samples=tuple(samples),
        incremental_ids=turns[-1].prompt_ids + turns[-1].completion_ids,
        full_ids=full,
        declared_samples=len(samples),  # build_trajectory_step: one sample per step, by design
    )
    object.__setattr__(episode, "bridged", tuple(bridged))
    return episode


# ---------------------------------------------------------------------------------------------------------------
# Prefix stability
# ---------------------------------------------------------------------------------------------------------------

TRANSITIONS = ("tool", "user", "assistant")


def _transition_conversations(transition: str) -> tuple[list[dict], dict, list[dict] | None]:
    from harness.rollouts.shapes import CALCULATOR

    user = {"role": "user", "content": "What is 48 / 2?"}
    answer = {"role": "assistant", "content": "<answer>24</answer>", "reasoning_content": "Half of 48 is 24."}
    call = {"role": "assistant", "content": "", "reasoning_content": "Use the calculator.", "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "calculator", "arguments": {"expression": "48 / 2"}}}]}
    if transition == "tool":
        return [user, call], {"role": "tool", "tool_call_id": "call_1", "name": "calculator", "content": "24"}, [CALCULATOR]
    if transition == "user":
        return [user, answer], {"role": "user", "content": "And 48 / 4?"}, None
    if transition == "assistant":
        return [user, answer, {"role": "user", "content": "And 48 / 4?"}], {"role": "assistant", "content": "<answer>12</answer>", "reasoning_content": "A quarter."}, None
    raise ValueError(transition)


def prefix_stability_table(names: Sequence[str], loader=None) -> list[dict]:
    """Template x transition: is the rendering of a conversation a prefix of its rendering with one more message
    (tool result after a tool call; user after an answer; assistant after a user)? Both renderings without the
    generation prompt. Two columns: ``hf_text`` (the tokenizer's chat template, text) and ``renderer_ids`` (the
    renderer's ``render`` token ids, with the renderer's own ``is_prefix_stable`` declaration). ``None``: the
    template/renderer cannot render that conversation (the error is kept)."""
    from harness.adapters.transformers import load_tokenizer, render
    from harness.rollouts.episodes import prefix_cell

    loader = loader or load_tokenizer
    rows = []
    for name in names:
        tokenizer = loader(name)
        try:
            renderer = renderer_for(tokenizer)
            declared = bool(renderer.is_prefix_stable)
            renderer_error = ""
        except RendererUnavailable as error:
            renderer, declared, renderer_error = None, None, str(error)[:160]
        for transition in TRANSITIONS:
            base, new, tools = _transition_conversations(transition)
            try:
                before, after = render(tokenizer, base, tools=tools), render(tokenizer, base + [new], tools=tools)
                text = prefix_cell(name, transition, before, after)
            except Exception as error:
                text = prefix_cell(name, transition, None, None, f"{type(error).__name__}: {error}"[:160])
            ids = None
            if renderer is not None:
                try:
                    a = renderer.render(_messages(base), tools=_tools(tools)).token_ids
                    b = renderer.render(_messages(base + [new]), tools=_tools(tools)).token_ids
                    ids = list(b[: len(a)]) == list(a)
                except Exception as error:
                    renderer_error = f"{type(error).__name__}: {error}"[:160]
            rows.append({
                "template": name,
                "transition": transition,
                "hf_text_prefix_stable": text.stable,
                "hf_text_detail": text.detail,
                "renderer": getattr(renderer, "harness_config_name", None),
                "renderer_ids_prefix_stable": ids,
                "renderer_declares_prefix_stable": declared,
                "renderer_error": renderer_error if ids is None else "",
            })
    return rows


def format_prefix_table(rows: list[dict]) -> str:
    def mark(value):
        return {True: "yes", False: "NO", None: "n/a"}[value]

    lines = [f"{'template':<30} {'transition':<10} {'hf text':<8} {'renderer ids':<12} {'declared':<8} renderer"]
    for r in rows:
        lines.append(f"{r['template']:<30} {r['transition']:<10} {mark(r['hf_text_prefix_stable']):<8} "
                     f"{mark(r['renderer_ids_prefix_stable']):<12} {mark(r['renderer_declares_prefix_stable']):<8} "
                     f"{r['renderer'] or '-'}")
    return "\n".join(lines)


if __name__ == "__main__":  # python -m harness.adapters.renderers [out.json]: the prefix-stability table as data
    import json
    import sys

    from harness.assets.tokenizers import available_tokenizers

    table = prefix_stability_table(sorted(available_tokenizers()))
    print(format_prefix_table(table))
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", encoding="utf-8") as out:
            json.dump(table, out, indent=1)
