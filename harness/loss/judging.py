"""Judge one optimizer step of a training step against the oracle: which positions got gradient, towards which
target, with what weight.

Every conversation's rendering (the oracle's ``input_ids``) is found in the rows the model saw (``locate``); the
prediction at row position ``p`` is of the row's token ``p+1``. For a conversation's token ``j`` the oracle says
train (✓), do not train (✗) or either (~); the prediction of token ``j`` (made at the position before it) must get
gradient exactly when ✓ (or ~), pointing at token ``j`` (``weights``), with the weight the documented normalisation
gives (``step``). Positions outside every conversation (padding, a packed row's neighbour) must get none.

Failure classes (``property[kind]``), each distinct:

- ``rows_match_rendering``: a conversation's rendering is in no row the model saw (the step tokenized otherwise);
- ``padding_trained[padding|row end|outside any conversation]``: gradient on a prediction of padding or of tokens
  outside every conversation;
- ``trained_across_rows[next packed row]``: a conversation's last position trained to predict the next packed row;
- ``mask_ignored``: every prediction of the conversation trained, untrained tokens included (the mask not applied);
- ``mask_shifted[late|early]``: the trained predictions are the oracle's moved by one position;
- ``gradient_on_untrained[kind]`` / ``no_gradient_on_trained[kind]``: other disagreements, by kind of token;
- ``target_shifted[two ahead|not shifted]`` / ``target_wrong``: the gradient points at another token than the one
  predicted (labels shifted twice, or not at all);
- ``token_weight[mean per micro-batch|mean per sequence|mean per token|constant factor|unequal]``: the trained
  tokens' weights are not the documented normalisation's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.adapters import transformers as hf
from harness.loss.attribution import Forward, capture_step
from harness.loss.step import NORMALIZATION_NAMES, Normalization, expected_weight
from harness.loss.weights import COSINE_MIN, close, position_gradients
from harness.masking.oracle import Expect, Oracle, Policy, build_oracle
from harness.masking.token_kinds import token_kind


@dataclass(frozen=True)
class Place:
    """Where a conversation's rendering sits: forward pass ``call``, row ``row``, first position ``start``."""

    call: int
    row: int
    start: int
    length: int | None = None  # the rendering's tokens in the row when it leaves out their untrained tail (else all)


@dataclass
class Prediction:
    """The prediction of one token (row position ``position`` predicting the token at ``position + 1``)."""

    call: int
    row: int
    position: int
    target: int  # the token id predicted (the row's next token)
    conversation: int | None  # index of the conversation the predicted token belongs to, None outside all
    token: int | None  # that token's index in the conversation's rendering
    expect: Expect | None  # the oracle's requirement for that token (None outside every conversation)
    has_gradient: bool
    weight: float = 0.0  # projection of the gradient on the target's direction
    cosine: float = 0.0
    relative: float | None = None  # weight / the documented weight, where the token is trained


@dataclass
class StepView:
    """One judged optimizer step: the oracles, where each conversation sits, every prediction with its weight."""

    oracles: list[Oracle]
    places: list[Place | None]
    forwards: list[Forward]
    predictions: list[Prediction]
    normalization: Normalization
    step_tokens: int = 0  # predictions the step trained (with gradient), outside conversations included
    conversation_tokens: list[int] = field(default_factory=list)
    model: Any = None
    scales: list[float] | None = None  # each conversation's factor besides the normalisation (StepResult.scales)
    length: int | None = None  # the constant of normalization="fixed_length"
    call_tokens: dict[int, int] = field(default_factory=dict)  # trained predictions per forward pass (micro-batch)

    def scale(self, conversation: int) -> float:
        return 1.0 if self.scales is None else self.scales[conversation]

    def expected(self, q: "Prediction") -> float:
        """The documented weight of a trained prediction of conversation ``q.conversation``, scale included."""
        return self.scale(q.conversation) * expected_weight(
            self.normalization, step_tokens=self.step_tokens, conversations=len(self.oracles),
            conversation_tokens=self.conversation_tokens[q.conversation], micro_batches=len(self.forwards),
            micro_batch_tokens=self.call_tokens.get(q.call, 0), length=self.length)

    def of(self, conversation: int) -> dict[int, Prediction]:
        """The predictions of a conversation's tokens, by token index."""
        return {p.token: p for p in self.predictions if p.conversation == conversation and p.token is not None}


@dataclass(frozen=True)
class Finding:
    property: str
    kind: str
    conversation: int | None  # the conversation whose table shows it (None: the whole step)
    tokens: tuple[int, ...]  # its flagged token indices
    summary: str
    outside: tuple[Prediction, ...] = ()  # flagged predictions outside every conversation

    @property
    def key(self) -> str:
        return f"{self.property}[{self.kind}]" if self.kind else self.property


def find_rendering(row: list[int], ids: list[int], taken: list[tuple[int, int]]) -> int | None:
    """The first start of ``ids`` in ``row`` overlapping no ``taken`` span, or None."""
    n = len(ids)
    for s in range(0, len(row) - n + 1):
        if row[s:s + n] == ids and all(s + n <= a or s >= b for a, b in taken):
            return s
    return None


def _kept_lengths(oracle: Oracle) -> range:
    """The rendering's length, then the shorter ones that leave out an untrained tail only (the tokens after the
    last one the oracle trains): an RL completion ends at its stop token, before the glue the template writes after
    it (qwen2.5's '\\n' after the last <|im_end|>), which nothing samples and nothing trains."""
    n = len(oracle.input_ids)
    last = max((j for j, e in enumerate(oracle.expected) if e is Expect.TRAIN), default=n - 1)
    return range(n, last, -1)


def locate(oracles: Sequence[Oracle], forwards: Sequence[Forward]) -> list[Place | None]:
    """Each conversation's place in the rows the model saw: the first unclaimed occurrence of its rendering, or else
    of the rendering without its untrained tail (``_kept_lengths``)."""
    rows = [(c, b, f.input_ids[b].tolist()) for c, f in enumerate(forwards) for b in range(f.input_ids.shape[0])]
    taken: dict[tuple[int, int], list[tuple[int, int]]] = {}
    places: list[Place | None] = []
    for oracle in oracles:
        place = None
        for kept in _kept_lengths(oracle):
            for c, b, row in rows:
                s = find_rendering(row, oracle.input_ids[:kept], taken.setdefault((c, b), []))
                if s is not None:
                    taken[(c, b)].append((s, s + kept))
                    place = Place(c, b, s, None if kept == len(oracle.input_ids) else kept)
                    break
            if place is not None:
                break
        places.append(place)
    return places


class StepTooLong(ValueError):
    """The step's renderings exceed the token budget (``run_step``'s ``max_tokens``)."""


def run_step(step, model, tokenizer, conversations: Sequence[Mapping[str, Any]], *, policy: Policy,
             normalization: Normalization, template_kwargs=None, max_tokens: int | None = None,
             length: int | None = None) -> StepView:
    """Build the oracles, run ``step`` once on ``model`` and attribute its gradient to every prediction.

    ``max_tokens``: raise ``StepTooLong`` before running the step when the renderings hold more tokens (the logits
    of a 150k vocabulary cost memory per position)."""
    convs = [{"messages": [dict(m) for m in c["messages"]], "tools": [dict(t) for t in c["tools"]] if c.get("tools")
              else None} for c in conversations]
    oracles = [build_oracle(tokenizer, c["messages"], c["tools"], policy=policy, template_kwargs=template_kwargs)
               for c in convs]
    total = sum(len(o.input_ids) for o in oracles)
    if max_tokens is not None and total > max_tokens:
        raise StepTooLong(f"the step's renderings hold {total} tokens, over max_tokens={max_tokens}")
    _, forwards, scales = capture_step(model, lambda: step(model, [{"messages": [dict(m) for m in c["messages"]],
                                                       "tools": c["tools"]} for c in convs]))
    if scales is not None and len(scales) != len(convs):
        raise ValueError(f"the step returned {len(scales)} scale(s) for {len(convs)} conversation(s)")
    places = locate(oracles, forwards)
    owner: dict[tuple[int, int, int], tuple[int, int]] = {}
    for k, (oracle, place) in enumerate(zip(oracles, places)):
        if place is not None:
            for j in range(len(oracle.input_ids) if place.length is None else place.length):
                owner[(place.call, place.row, place.start + j)] = (k, j)
    predictions: list[Prediction] = []
    for c, forward in enumerate(forwards):
        magnitude = forward.grad.abs().sum(-1)
        for b in range(forward.input_ids.shape[0]):
            ids = forward.input_ids[b].tolist()
            for p in range(len(ids)):
                nxt = owner.get((c, b, p + 1))
                has = bool(magnitude[b, p] > 0)
                if nxt is None and not has:
                    continue
                k, j = nxt if nxt is not None else (None, None)
                target = ids[p + 1] if p + 1 < len(ids) else -1
                predictions.append(Prediction(c, b, p, target, k, j,
                                              oracles[k].expected[j] if k is not None else None, has))
    for c, forward in enumerate(forwards):
        mine = [q for q in predictions if q.call == c and q.has_gradient and q.target >= 0]
        if mine:
            import torch

            rows = torch.as_tensor([q.row for q in mine])
            cols = torch.as_tensor([q.position for q in mine])
            for q, pg in zip(mine, position_gradients(model, forward.hidden[rows, cols], forward.grad[rows, cols],
                                                     [q.target for q in mine])):
                q.weight, q.cosine = pg.weight, pg.cosine
    view = StepView(oracles, places, forwards, predictions, normalization, model=model, scales=scales,
                    length=length)
    # The documented normalisation over the tokens the step itself trains (those with gradient): whether that set is
    # the oracle's is the positions' verdict, so a wrong set (padding trained) is not also reported as wrong weights.
    counts = [sum(1 for q in predictions if q.conversation == k and q.has_gradient) for k in range(len(oracles))]
    view.conversation_tokens = counts
    view.step_tokens = sum(1 for q in predictions if q.has_gradient)
    for q in predictions:
        if q.has_gradient:
            view.call_tokens[q.call] = view.call_tokens.get(q.call, 0) + 1
    for q in predictions:
        if q.conversation is not None and q.has_gradient and view.scale(q.conversation) != 0:
            q.relative = q.weight / view.expected(q)
    return view


def _kind_of(oracle: Oracle, j: int) -> str:
    if oracle.expected[j] is Expect.SKIP:
        return token_kind(oracle, j)
    stops = {i for indices in oracle.stop_tokens.values() for i in indices}
    return "stop token" if j in stops else "assistant text"


def findings(view: StepView, tokenizer) -> list[Finding]:
    """Every failure class the step shows, at most one per key (the first conversation showing it)."""
    found: dict[str, Finding] = {}

    def add(finding: Finding):
        found.setdefault(finding.key, finding)

    for k, place in enumerate(view.places):
        if place is None:
            add(Finding("rows_match_rendering", "", k, (),
                        "this conversation's rendering (the oracle's input_ids) is in no row the model saw: the step "
                        "tokenized it otherwise (another template, segmentation, truncation or an extra token) or "
                        "left it out of the step (a data path that drops rows with no trained token)"))
    if any(p is None for p in view.places):
        return list(found.values())
    _outside(view, tokenizer, add)
    for k, oracle in enumerate(view.oracles):
        _positions(view, k, oracle, add)
    _targets(view, add)
    if not any(f.property in ("target_shifted", "target_wrong") for f in found.values()):
        _weights(view, add)
    return list(found.values())


def _outside(view: StepView, tokenizer, add) -> None:
    pad = getattr(tokenizer, "pad_token_id", None)
    starts = {(pl.call, pl.row, pl.start): k for k, pl in enumerate(view.places)}
    groups: dict[str, list[Prediction]] = {}
    for q in view.predictions:
        if q.conversation is not None or not q.has_gradient:
            continue
        if (q.call, q.row, q.position + 1) in starts:
            groups.setdefault("trained_across_rows[next packed row]", []).append(q)
        elif q.target < 0:
            groups.setdefault("padding_trained[row end]", []).append(q)
        elif q.target == pad:
            groups.setdefault("padding_trained[padding]", []).append(q)
        else:
            groups.setdefault("padding_trained[outside any conversation]", []).append(q)
    for key, preds in groups.items():
        prop, kind = key[:-1].split("[")
        shown = ", ".join(f"(micro-batch {q.call}, row {q.row}, position {q.position} → "
                          f"{hf.decode_token(tokenizer, q.target) if q.target >= 0 else 'nothing'!r})"
                          for q in preds[:6])
        add(Finding(prop, kind, None, (), f"{len(preds)} prediction(s) outside every conversation got gradient: "
                    f"{shown}{' …' if len(preds) > 6 else ''}", tuple(preds)))


def _positions(view: StepView, k: int, oracle: Oracle, add) -> None:
    preds = view.of(k)
    tokens = range(1, len(oracle.input_ids))  # token 0 is predicted by nothing of the conversation
    trained = {j for j in tokens if oracle.expected[j] is Expect.TRAIN}
    either = {j for j in tokens if oracle.expected[j] is Expect.EITHER}
    if view.scale(k) == 0:  # a zero scale (GRPO: zero advantage) trains nothing of the conversation
        trained, either = set(), set()
    got = {j for j in tokens if j in preds and preds[j].has_gradient}
    extra, missing = got - trained - either, trained - got
    if not extra and not missing:
        return
    skip = set(tokens) - trained - either
    if got == set(tokens) and skip:
        add(Finding("mask_ignored", "", k, tuple(sorted(extra)),
                    f"every token of the conversation is trained, the {len(skip)} the oracle leaves untrained "
                    f"(prompt, headers, tool results) included: the loss does not apply the mask"))
        return
    for shift, kind in ((1, "late"), (-1, "early")):
        moved = {j + shift for j in trained}
        if got and got - (moved | {j + shift for j in either}) == set() and moved - got <= {0, len(oracle.input_ids)}:
            add(Finding("mask_shifted", kind, k, tuple(sorted(extra | missing)),
                        f"the trained tokens are the oracle's moved one position {kind}: the mask is shifted "
                        f"against the tokens (labels shifted where the loss shifts too, or a mask built for "
                        f"unshifted labels applied to shifted ones)"))
            return
    by_kind: dict[tuple[str, str], list[int]] = {}
    for j in sorted(extra):
        by_kind.setdefault(("gradient_on_untrained", _kind_of(oracle, j)), []).append(j)
    for j in sorted(missing):
        by_kind.setdefault(("no_gradient_on_trained", _kind_of(oracle, j)), []).append(j)
    for (prop, kind), js in by_kind.items():
        what = "get gradient though the oracle leaves them untrained" if prop == "gradient_on_untrained" else \
            "get no gradient though the model generated them"
        add(Finding(prop, kind, k, tuple(js), f"{len(js)} {kind} token(s) {what}"))


def _targets(view: StepView, add) -> None:
    for k, oracle in enumerate(view.oracles):
        place = view.places[k]
        row = view.forwards[place.call].input_ids[place.row].tolist()
        wrong = [q for j, q in sorted(view.of(k).items())
                 if q.has_gradient and q.expect is not Expect.SKIP and abs(q.cosine) < COSINE_MIN]
        if not wrong:
            continue
        kinds = []
        for q in wrong:
            forward = view.forwards[q.call]
            h = forward.hidden[q.row, q.position][None]
            g = forward.grad[q.row, q.position][None]
            candidates = {"two ahead": q.position + 2, "not shifted": q.position}
            kind = "other"
            for name, at in candidates.items():
                if 0 <= at < len(row) and abs(position_gradients(view.model, h, g, [row[at]])[0].cosine) >= COSINE_MIN:
                    kind = name
                    break
            kinds.append(kind)
        kind = max(set(kinds), key=kinds.count)
        prop = "target_wrong" if kind == "other" else "target_shifted"
        add(Finding(prop, "" if kind == "other" else kind, k, tuple(q.token for q in wrong),
                    f"{len(wrong)} trained prediction(s) point at another token than the one they predict "
                    + ("(the token after it: labels shifted twice)" if kind == "two ahead" else
                       "(the input token itself: labels never shifted)" if kind == "not shifted" else
                       "(neither the next token, the one after it nor the input token)")))


def _weights(view: StepView, add) -> None:
    trained = [q for q in view.predictions if q.relative is not None and abs(q.cosine) >= COSINE_MIN]
    if not trained or all(close(q.relative, 1.0) for q in trained):
        return
    R, N = len(view.oracles), view.step_tokens
    calls, per_call = len(view.forwards), view.call_tokens
    hypotheses = []
    if calls > 1:
        hypotheses.append(("mean per micro-batch", lambda q: 1.0 / (calls * per_call[q.call])))
    hypotheses.append(("mean per sequence", lambda q: 1.0 / (R * view.conversation_tokens[q.conversation])))
    hypotheses.append(("mean per token", lambda q: 1.0 / N))
    hypotheses.append(("sum per sequence", lambda q: 1.0 / R))
    hypotheses.append(("sum", lambda q: 1.0))
    if view.length:
        hypotheses.append(("sum over a constant length", lambda q: 1.0 / (R * view.length)))
    documented = NORMALIZATION_NAMES[view.normalization]
    kind = None
    for name, weight in hypotheses:
        if name != documented and all(close(q.weight, view.scale(q.conversation) * weight(q)) for q in trained):
            kind = name
            break
    if kind is None and view.scales is not None and \
            all(close(q.weight, view.expected(q) / view.scale(q.conversation)) for q in trained):
        kind = "scale not applied"
    if kind is None:
        ratios = [q.relative for q in trained]
        kind = "constant factor" if all(close(r, ratios[0]) for r in ratios) else "unequal"
    flagged = [q for q in trained if not close(q.relative, 1.0)]
    k = flagged[0].conversation
    norm = {"token": f"1/{N} each over this step's {N} trained tokens",
            "sequence": "1/(conversations × the conversation's trained tokens)",
            "sequence_sum": f"1/{R} each, the step's {R} conversations",
            "micro_batch_token": "1/(micro-batches × the micro-batch's trained tokens)",
            "fixed_length": f"1/({R} × {view.length})", "sum": "1 each"}[view.normalization]
    scaled = ", times each conversation's scale" if view.scales is not None else ""
    add(Finding("token_weight", kind, k, tuple(q.token for q in flagged if q.conversation == k),
                f"{len(flagged)} of {len(trained)} trained tokens do not get the documented weight ({documented}: "
                f"{norm}{scaled}); the weights fit: {kind} (micro-batches: {calls}, trained tokens per conversation: "
                f"{view.conversation_tokens}"
                + (f", scales: {[round(x, 4) for x in view.scales]}" if view.scales is not None else "") + ")"))
