"""trl's GRPO training step for the check at the loss (``harness.check_training_step``): every documented
``loss_type``, single-turn and tool-loop completions, with and without gradient accumulation.

``grpo_training_step(tokenizer, loss_type=...)`` -> ``step(model, conversations) -> StepResult``. Each conversation is
one GRPO sample: its **prompt** is the messages before the first assistant turn (system / user), its **completion**
the assistant turns, with the tool calls and tool results between them (the last assistant turn calls no tool). The
step builds a ``GRPOTrainer`` on ``model`` (``beta=0``, ``num_iterations=1``, ``num_generations`` = the step's
conversations, so they form one group; ``per_device_train_batch_size`` = conversations /
``gradient_accumulation_steps``, so one generation batch is one optimizer step) and runs, exactly as
``Trainer.training_step`` does for each accumulation step: trl's ``_prepare_inputs`` (generation, tool loop,
rewards, advantages, shuffle and split into micro-batches by trl's own code) and ``compute_loss`` under
``compute_loss_context_manager``, the loss divided by the accumulation steps only where the trainer says it is not
already scaled (``loss_is_scaled_for_ga``; trl's GRPO says it is). The micro-batch losses are summed (what the
accumulated ``backward`` calls add up to). ``bf16=False``: GRPOConfig defaults to bf16 (grpo_config.py line 411),
whose CPU autocast rounds the weights by ~0.4%, over the check's tolerance.

What is scripted (the rest is trl's): the model's ``generate`` emits each conversation's assistant turns exactly as the
template renders them (``harness.rollouts.shapes.scripted_completion``); the tools trl's loop runs are the
conversation's tool schemas, each answering with the tool results the conversation recorded, in the order trl calls
them; the reward of conversation ``r`` is ``2**r`` (distinct, and no conversation's reward is the group's mean, so every
advantage is non-zero and distinct), except that conversations rendering alike share the first one's reward (trl
shuffles the batch into micro-batches, and identical rows can only be told apart if they carry the same advantage;
with repeats an advantage may be 0, a conversation trl then trains nothing of, as the check expects of scale 0).
The returned scales are trl's own advantages, in conversation order.

The documented normalisations (``harness.loss.step``; trl 1.16.0 ``GRPOConfig.loss_type``, grpo_config.py lines
237-268, and ``GRPOTrainer._compute_loss``, grpo_trainer.py lines 3153-3184):

- ``grpo`` / ``sapo``: each sequence's token mean, averaged over the micro-batch's sequences -> ``"sequence"``;
  ``sapo``'s gate ``sigmoid(tau (r - 1)) 4 / tau`` has slope 1 at ratio 1, so the on-policy weight is the advantage;
- ``bnpo``: the micro-batch's token mean ("normalizing with the number of active token in the local batch", "over the
  local batch only") -> ``"micro_batch_token"``;
- ``dr_grpo``: the token sum over ``B x max_completion_length`` -> ``"fixed_length"`` with ``max_completion_length``;
- ``dapo`` (the default) / ``cispo``: the token sum over ``num_items_in_batch`` ("the global accumulated batch") ->
  ``"token"``; ``cispo`` multiplies by ``clamp(ratio, max=epsilon_high)``, 1 on-policy only where ``epsilon_high >= 1``
  (the documented recommendation for cispo is 5.0; the default, ``epsilon``'s 0.2, caps every on-policy token at 0.2);
- ``luspo`` (with its required ``importance_sampling_level="sequence"``): each sequence's loss times its length,
  averaged over the sequences -> ``"sequence_sum"``;
- ``vespo``: ``-phi(w) A logp`` with ``phi`` detached and ``phi(1) = e^lambda 1^k e^-lambda = 1``, summed over
  ``num_items_in_batch`` as dapo -> ``"token"`` (trl documents no aggregation for vespo: read in ``_compute_loss``).

``GRPO_LOSS_CONFIGURATIONS``: one ``LossConfiguration`` per loss type, the tool loop, and accumulation.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from harness.loss.configurations import LossConfiguration
from harness.loss.step import StepResult

# max_completion_length of every step: no completion the check draws (at most 2048 tokens a step, its
# ``max_step_tokens``) is truncated, and dr_grpo's documented constant.
MAX_COMPLETION_LENGTH = 2048

LOSS_TYPES = ("grpo", "dr_grpo", "dapo", "bnpo", "cispo", "sapo", "luspo", "vespo")

NORMALIZATION = {"grpo": "sequence", "sapo": "sequence", "bnpo": "micro_batch_token", "dr_grpo": "fixed_length",
                 "dapo": "token", "cispo": "token", "vespo": "token", "luspo": "sequence_sum"}


class ScriptError(RuntimeError):
    """trl asked the scripted model or tools for something the conversations do not say (a turn or a tool call
    in another order): the step cannot stand for the conversations."""


def _episode(conversation: dict, where: str) -> tuple[list[dict], list[int]]:
    """``(prompt messages, indices of the assistant messages)``, checking the conversation is one GRPO sample: the
    assistant turns after the prompt, each that calls tools answered by one tool message per call, the last
    calling none."""
    messages = conversation["messages"]
    first = next((k for k, m in enumerate(messages) if m["role"] == "assistant"), None)
    if first is None or first == 0:
        raise ValueError(f"{where}: a GRPO sample needs a prompt (system/user messages) followed by assistant turns")
    if any(m["role"] not in ("system", "user") for m in messages[:first]):
        raise ValueError(f"{where}: the prompt (messages before the first assistant turn) must be system/user messages")
    turns, k = [], first
    while k < len(messages):
        m = messages[k]
        if m["role"] != "assistant":
            raise ValueError(f"{where}: message {k} ({m['role']}) where trl's tool loop can only produce an assistant "
                             f"turn (GRPO completions have no user turns)")
        turns.append(k)
        calls = m.get("tool_calls") or []
        results = messages[k + 1:k + 1 + len(calls)]
        if len(results) != len(calls) or any(r["role"] != "tool" for r in results):
            raise ValueError(f"{where}: assistant message {k} makes {len(calls)} tool call(s); trl's loop answers each "
                             f"with one tool message right after it")
        k += 1 + len(calls)
        if not calls and k < len(messages):
            raise ValueError(f"{where}: assistant message {turns[-1]} calls no tool but the conversation goes on")
    if messages[turns[-1]].get("tool_calls"):
        raise ValueError(f"{where}: the last assistant turn calls tools: trl's loop would generate another turn")
    return messages[:first], turns


class _RecordedTool(dict):
    """A tool for trl's loop: the conversation's JSON schema (``apply_chat_template`` renders a dict tool as given)
    and a callable (trl calls ``tool(**arguments)`` by ``__name__``) answering with the next recorded result."""

    def __init__(self, schema: dict, script: "_Script"):
        super().__init__(schema)
        self.__name__ = schema["function"]["name"]
        self._script = script

    def __call__(self, **arguments):
        return self._script.tool_result(self.__name__)


class _Script:
    """What the scripted model says and the tools answer, per conversation, in the order trl asks."""

    def __init__(self, tokenizer, conversations: Sequence[dict], prompts: list[list[dict]], turns: list[list[int]]):
        from harness.rollouts.shapes import scripted_completion

        self.turns = [[scripted_completion(tokenizer, c["messages"], c.get("tools"), k) for k in ks]
                      for c, ks in zip(conversations, turns)]
        # The tool results, in the order trl's loop runs the calls: round by round, conversations in order, calls in
        # order (grpo_trainer.py _tool_call_loop).
        self.results: list[tuple[int, str, str]] = []
        for round_ in range(max(len(ks) for ks in turns)):
            for r, (c, ks) in enumerate(zip(conversations, turns)):
                if round_ < len(ks) - 1:
                    k = ks[round_]
                    calls = c["messages"][k]["tool_calls"]
                    for call, result in zip(calls, c["messages"][k + 1:k + 1 + len(calls)]):
                        self.results.append((r, call["function"]["name"], result["content"]))
        self.pending = list(range(len(conversations)))  # the conversations the next generate call is for
        self.emitted = [0] * len(conversations)
        self.problems: list[str] = []

    def tool_result(self, name: str) -> str:
        if not self.results:
            self.problems.append(f"trl called tool {name!r} after every recorded result was given")
            return ""
        r, expected, content = self.results.pop(0)
        if name != expected:
            self.problems.append(f"trl called tool {name!r} where conversation {r} recorded a call to {expected!r}")
        return content

    def generate(self, input_ids, attention_mask):
        import torch

        if input_ids.shape[0] != len(self.pending):
            raise ScriptError(f"trl asked for {input_ids.shape[0]} generation(s); the conversations still have "
                              f"{len(self.pending)} turn(s) to say (conversations {self.pending})")
        outputs = []
        for row, r in enumerate(self.pending):
            ids = input_ids[row][attention_mask[row].bool()].tolist()
            said = self.turns[r][self.emitted[r] - 1] if self.emitted[r] else []
            if said and not any(ids[i:i + len(said)] == said for i in range(len(ids) - len(said) + 1)):
                raise ScriptError(f"generate row {row} (conversation {r}) does not hold the turn it said before")
            outputs.append(self.turns[r][self.emitted[r]])
            self.emitted[r] += 1
        self.pending = [r for r in self.pending if self.emitted[r] < len(self.turns[r])]
        pad = self.pad_id
        new = torch.full((input_ids.shape[0], max(len(o) for o in outputs)), pad, dtype=input_ids.dtype)
        for row, out in enumerate(outputs):
            new[row, :len(out)] = torch.tensor(out, dtype=input_ids.dtype)
        return torch.cat([input_ids, new.to(input_ids.device)], dim=1)


def _shared_tools(conversations: Sequence[dict]) -> list[dict] | None:
    schemas = [c.get("tools") or None for c in conversations]
    if any(json.dumps(s, sort_keys=True) != json.dumps(schemas[0], sort_keys=True) for s in schemas):
        raise ValueError("the conversations of a GRPO step must share one tool list (GRPOTrainer(tools=...) renders "
                         "every prompt with the same tools); draw them from grpo_conversations(tokenizer, tools=True)")
    return schemas[0]


def grpo_training_step(tokenizer, *, loss_type: str = "dapo", tools: bool = False, gradient_accumulation_steps: int = 1,
                       max_completion_length: int = MAX_COMPLETION_LENGTH, importance_sampling_level: str | None = None,
                       epsilon_high: float | None = None, trainer_class=None):
    """The GRPOTrainer step (see the module). ``tools``: the conversations may call their tools (trl's tool loop);
    without, a conversation with tool calls is refused. ``importance_sampling_level`` defaults to luspo's required
    ``"sequence"`` for luspo and trl's default otherwise; ``epsilon_high`` to trl's (``epsilon``).
    ``trainer_class``: a ``GRPOTrainer`` subclass to run instead (planted bugs)."""
    if loss_type not in LOSS_TYPES:
        raise ValueError(f"loss_type must be one of {LOSS_TYPES} (trl 1.16.0 GRPOConfig), got {loss_type!r}")
    if isinstance(gradient_accumulation_steps, bool) or not isinstance(gradient_accumulation_steps, int) \
            or gradient_accumulation_steps < 1:
        raise ValueError(f"gradient_accumulation_steps must be a positive int, got {gradient_accumulation_steps!r}")
    if importance_sampling_level is None:
        importance_sampling_level = "sequence" if loss_type == "luspo" else "token"
    built: dict = {}

    def trainer_for(model, conversations: int, schemas: list[dict] | None, script_box: dict):
        if conversations < 2 or conversations % gradient_accumulation_steps:
            raise ValueError(f"a GRPO step of {conversations} conversation(s) with gradient_accumulation_steps="
                             f"{gradient_accumulation_steps}: one group needs at least 2 generations, split evenly "
                             f"into the accumulation steps")
        key = (id(model), conversations, json.dumps(schemas, sort_keys=True))
        # The trainer's fused LM head is an instance attribute on the model (trl add_fused_lm_head): reuse the trainer
        # only while the model still carries the one it put there.
        if built.get("key") == key and built.get("model") is model and \
                model.__dict__.get("forward") is built.get("forward"):
            return built["trainer"]
        import tempfile

        from datasets import Dataset
        from trl import GRPOConfig, GRPOTrainer

        from harness.adapters.trl.config import common_args, quiet, release

        quiet()
        release(model)  # the fused LM head an earlier trainer put on this model (it patches model.forward)
        args = GRPOConfig(
            per_device_train_batch_size=conversations // gradient_accumulation_steps,
            gradient_accumulation_steps=gradient_accumulation_steps,
            num_generations=conversations,
            num_iterations=1,
            max_completion_length=max_completion_length,
            loss_type=loss_type,
            importance_sampling_level=importance_sampling_level,
            epsilon_high=epsilon_high,
            beta=0.0,
            temperature=1.0,
            learning_rate=0.0,
            max_steps=1,
            # GRPOConfig defaults to bf16=True (grpo_config.py line 411): under CPU autocast trl's chunked log-prob
            # kernel computes in bfloat16, so weights carry ~0.4% rounding, over the check's 2e-3 tolerance.
            bf16=False,
            **common_args(tempfile.mkdtemp(prefix="harness-grpo-loss-"), 0),
        )

        def reward(completions, index, **kwargs):
            return [2.0 ** int(i) for i in index]

        tool_list = [_RecordedTool(s, _ScriptProxy(script_box)) for s in schemas] if schemas else None
        trainer = (trainer_class or GRPOTrainer)(
            model=model, reward_funcs=[reward], args=args, processing_class=tokenizer, tools=tool_list,
            train_dataset=Dataset.from_list([{"prompt": [{"role": "user", "content": "x"}], "index": 0}]))
        built.update(key=key, model=model, trainer=trainer, forward=model.__dict__.get("forward"))
        return trainer

    script_box: dict = {}

    def step(model, conversations):
        import torch

        lone = len(conversations) == 1
        if lone:  # a GRPO group of one: generated as a group of two (trl needs two), one row forward (see below)
            conversations = list(conversations) * 2
        episodes = [_episode(c, f"conversation {r}") for r, c in enumerate(conversations)]
        schemas = _shared_tools(conversations)
        calling = [r for r, (_, ks) in enumerate(episodes) if len(ks) > 1]
        if calling and not tools:
            raise ValueError(f"conversations {calling} call tools: build the step with tools=True (trl's tool loop)")
        trainer = trainer_for(model, len(conversations), schemas if tools else None, script_box)
        script = _Script(tokenizer, conversations, [p for p, _ in episodes], [ks for _, ks in episodes])
        script.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        script_box["script"] = script
        captured: dict = {}
        generate_and_score = trainer._generate_and_score_completions

        def recording(inputs):
            captured["output"] = generate_and_score(inputs)
            return captured["output"]

        def generate(*args, **kwargs):
            return script.generate(kwargs["input_ids"] if "input_ids" in kwargs else args[0],
                                   kwargs["attention_mask"])

        inputs = [{"prompt": [dict(m) for m in prompt], "index": first} for (prompt, _), first in
                  zip(episodes, _first_alike(tokenizer, conversations))]
        model.generate = generate
        trainer._generate_and_score_completions = recording
        try:
            if lone:
                return _lone_row(trainer, model, inputs)
            trainer._buffered_inputs = None
            trainer.current_gradient_accumulation_steps = gradient_accumulation_steps
            model.train()
            total = None
            for k in range(gradient_accumulation_steps):
                trainer._step = k
                micro = trainer._prepare_inputs(inputs)
                with trainer.compute_loss_context_manager():
                    loss = trainer.compute_loss(model, micro, num_items_in_batch=None)
                if not trainer.loss_is_scaled_for_ga:
                    loss = loss / gradient_accumulation_steps
                total = loss if total is None else total + loss
        finally:
            model.__dict__.pop("generate", None)
            trainer.__dict__.pop("_generate_and_score_completions", None)
        if script.problems or script.results or script.pending:
            raise ScriptError("; ".join(script.problems) or f"trl's loop stopped with conversations {script.pending} "
                              f"still to say a turn and {len(script.results)} recorded tool result(s) unused")
        advantages = captured["output"]["advantages"]
        return StepResult(total, scales=[float(a) for a in torch.as_tensor(advantages).flatten()])

    step.normalization = NORMALIZATION[loss_type]
    if step.normalization == "fixed_length":
        step.normalization_length = max_completion_length
    from hypothesis import strategies as st

    # The conversations this step stands for (GRPO samples sharing one tool list), drawn lazily: for
    # check_training_step(conversations=step.conversations).
    step.conversations = st.deferred(lambda: grpo_conversations(tokenizer, tools=tools))
    return step


def _first_alike(tokenizer, conversations) -> list[int]:
    """Per conversation, the index of the first one rendering the same: conversations alike get the same reward, so
    the same advantage (trl shuffles the generation batch before splitting it into micro-batches, and nothing tells
    two identical rows apart)."""
    from harness.adapters.transformers import render

    seen: dict[str, int] = {}
    return [seen.setdefault(render(tokenizer, c["messages"], c.get("tools")), r) for r, c in enumerate(conversations)]


def _lone_row(trainer, model, inputs) -> StepResult:
    """One conversation alone: a GRPO group of one has advantage 0 (its reward minus the group's mean), so trl trains
    nothing of it. The step makes the forward trl's ``_compute_loss`` makes for its row (prompt + completion from
    trl's own generation batch, one row, no padding) and returns its log-probabilities times that advantage: what the
    checks that compare a conversation alone with its row in a step (``harness.loss.packing``) need."""
    from harness.adapters.trl._private import generate_and_score, grpo_per_token_logps

    model.train()
    output = generate_and_score(trainer, inputs)
    ids = _cat(output["prompt_ids"][:1], output["completion_ids"][:1])
    mask = _cat(output["prompt_mask"][:1], output["completion_mask"][:1])
    logps = grpo_per_token_logps(trainer, model, ids, mask, output["completion_ids"].size(1))
    return StepResult((logps * 0.0).sum(), scales=[0.0])


def _cat(left, right):
    import torch

    return torch.cat([left, right], dim=1)


class _ScriptProxy:
    """The current step's script, for tools built once with the trainer."""

    def __init__(self, box: dict):
        self.box = box

    def tool_result(self, name):
        return self.box["script"].tool_result(name)


def grpo_conversations(tokenizer, *, tools: bool = False):
    """Conversations that are GRPO samples for ``tokenizer``'s template (``harness.strategies.conversations_for``
    with one user turn, so the completion is the assistant's episode): with ``tools``, every conversation carries
    the template's whole tool list (one ``GRPOTrainer(tools=...)`` renders every prompt of a step), its calls drawn
    as usual; no control strings in the text (a final answer spelling ``<tool_call>`` would be a call to trl's
    parser, a conversation no GRPO rollout has)."""
    from harness.masking.template_probe import probe_template
    from harness.masking.tool_shapes import adapt_tools
    from harness.strategies import conversations_for
    from harness.strategies.tools import TOOL_SCHEMAS

    strategy = conversations_for(tokenizer, max_turns=1, tools=tools, hard_text=False, control_strings=())
    if not tools:
        return strategy
    schemas = adapt_tools(list(TOOL_SCHEMAS), probe_template(tokenizer).tool_shape)
    return strategy.map(lambda c: {"messages": c["messages"], "tools": [dict(s) for s in schemas]})


_DOC = "trl 1.16.0 trl/trainer/grpo_config.py GRPOConfig docstring, loss_type"
_CHECK = {"max_turns": 1, "tools": False, "conversations_per_step": [2, 4], "hidden_size": 16}
_STEP = "harness.adapters.trl.grpo_loss:grpo_training_step"


def _row(name: str, normalization: str, documented: str, options: dict, check: dict | None = None, **more):
    return LossConfiguration(name, _STEP, normalization, documented, options=options, check=check or _CHECK, **more)


GRPO_LOSS_CONFIGURATIONS = (
    _row("loss_type=grpo", "sequence", f"{_DOC} (lines 240-242): 'normalizing over sequence length'; "
         "grpo_trainer.py line 3154: per-sequence token mean, mean over the batch", {"loss_type": "grpo"}),
    _row("loss_type=dr_grpo", "fixed_length", f"{_DOC} (lines 243-245): 'normalizing with a global constant ... "
         "max_completion_length'; grpo_trainer.py line 3164", {"loss_type": "dr_grpo"},
         length=MAX_COMPLETION_LENGTH),
    _row("loss_type=dapo", "token", f"{_DOC} (lines 246-248, the default): 'normalizing with the number of active "
         "token in the global accumulated batch'; grpo_trainer.py lines 3168-3173", {"loss_type": "dapo"}),
    _row("loss_type=bnpo", "micro_batch_token", f"{_DOC} (lines 249-252): 'number of active token in the local "
         "batch ... normalization is performed over the local batch only'; grpo_trainer.py line 3159",
         {"loss_type": "bnpo"}),
    _row("loss_type=cispo", "token", f"{_DOC} (lines 253-256): 'normalizing with the number of active tokens in the "
         "global accumulated batch'; epsilon_high=5.0 as documented for cispo (lines 187-188)",
         {"loss_type": "cispo", "epsilon_high": 5.0}),
    _row("loss_type=cispo, default epsilon_high", "token", f"{_DOC} (lines 253-256) with epsilon_high unset "
         "(defaults to epsilon, 0.2: lines 184-186); grpo_trainer.py line 3110 clamps the on-policy ratio 1 to 0.2",
         {"loss_type": "cispo"}, known=("trl-grpo-cispo-default-epsilon-high-scales-every-token-by-0.2",)),
    _row("loss_type=sapo", "sequence", f"{_DOC} (lines 257-260); aggregated as grpo (grpo_trainer.py line 3153), the "
         "soft gate sigmoid(tau (r-1)) 4/tau has slope 1 at ratio 1 (line 3123)", {"loss_type": "sapo"}),
    _row("loss_type=luspo", "sequence_sum", f"{_DOC} (lines 261-264): 'scales each sequence's loss by its length', "
         "requires importance_sampling_level='sequence'; grpo_trainer.py line 3179", {"loss_type": "luspo"}),
    _row("loss_type=vespo", "token", f"{_DOC} (lines 265-268) states no aggregation; grpo_trainer.py lines "
         "3125-3136 and 3168: -phi(w) A logp with phi detached, phi(1) = 1, summed over num_items_in_batch as dapo",
         {"loss_type": "vespo"}),
    _row("tool loop (loss_type=dapo)", "token", f"{_DOC} (lines 246-248); tool results out of the loss: "
         "grpo_trainer.py _tool_call_loop (tool_mask 0) and _compute_loss line 3027",
         {"loss_type": "dapo", "tools": True},
         check={"max_turns": 1, "tools": True, "conversations_per_step": [2, 3], "hidden_size": 16}),
    _row("gradient_accumulation_steps=2, loss_type=dapo", "token", f"{_DOC} (lines 246-248): the global "
         "accumulated batch; grpo_trainer.py lines 3169-3172 (num_items_in_batch spans the generation batch)",
         {"loss_type": "dapo", "gradient_accumulation_steps": 2},
         check={**_CHECK, "conversations_per_step": [4, 4]}),
    _row("gradient_accumulation_steps=2, loss_type=bnpo", "micro_batch_token", f"{_DOC} (lines 249-252): 'over the "
         "local batch only, so results may slightly vary depending on the local batch size'; grpo_trainer.py lines "
         "3158-3161 (each micro-batch's token mean / accumulation steps)",
         {"loss_type": "bnpo", "gradient_accumulation_steps": 2}, check={**_CHECK, "conversations_per_step": [4, 4]}),
    _row("gradient_accumulation_steps=2, loss_type=grpo", "sequence", f"{_DOC} (lines 240-242); grpo_trainer.py lines "
         "3153-3157 (each micro-batch's sequence mean / accumulation steps, equal micro-batches)",
         {"loss_type": "grpo", "gradient_accumulation_steps": 2}, check={**_CHECK, "conversations_per_step": [4, 4]}),
)
