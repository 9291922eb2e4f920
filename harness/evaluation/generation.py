"""Batched generation from a Hugging Face causal LM with a named sampling strategy.

Prompts are token-id lists, left-padded into one batch; the new tokens of each row are
returned, cut after the first EOS. Sampling strategies are explicit about every knob:
transformers' generation defaults (``top_k=50``) would otherwise leak into "temperature" sampling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Sampling:
    name: str
    do_sample: bool = False
    temperature: float = 1.0
    top_k: int = 0  # 0: off
    top_p: float = 1.0  # 1.0: off

    def generate_kwargs(self) -> dict:
        if not self.do_sample:
            return {"do_sample": False}
        return {"do_sample": True, "temperature": self.temperature, "top_k": self.top_k, "top_p": self.top_p}


GREEDY = Sampling("greedy")
TEMPERATURE = Sampling("temperature", do_sample=True, temperature=1.0)
TOP_K = Sampling("top_k", do_sample=True, top_k=10)
TOP_P = Sampling("top_p", do_sample=True, top_p=0.9)
STRATEGIES = (GREEDY, TEMPERATURE, TOP_K, TOP_P)


def generate_ids(
    model,
    tokenizer,
    prompts: Sequence[Sequence[int]],
    *,
    max_new_tokens: int,
    sampling: Sampling = GREEDY,
    seed: int = 0,
    batch_size: int = 8,
) -> list[list[int]]:
    """New token ids for each prompt (EOS and everything after it removed)."""
    import torch

    device = next(model.parameters()).device
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    eos = tokenizer.eos_token_id
    torch.manual_seed(seed)
    outputs: list[list[int]] = []
    for b in range(0, len(prompts), batch_size):
        chunk = [list(p) for p in prompts[b : b + batch_size]]
        width = max(len(p) for p in chunk)
        input_ids = torch.full((len(chunk), width), pad, dtype=torch.long)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for i, p in enumerate(chunk):
            input_ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
            mask[i, width - len(p) :] = 1
        with torch.inference_mode():
            out = model.generate(
                input_ids=input_ids.to(device),
                attention_mask=mask.to(device),
                max_new_tokens=max_new_tokens,
                pad_token_id=pad,
                eos_token_id=eos,
                **sampling.generate_kwargs(),
            )
        for row in out[:, width:].tolist():
            if eos is not None and eos in row:
                row = row[: row.index(eos)]
            outputs.append(row)
    return outputs


def generate_text(model, tokenizer, prompts: Sequence[str], *, max_new_tokens: int, **kwargs) -> list[str]:
    """``generate_ids`` on text prompts (no special tokens added: templates write their own)."""
    ids = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    new = generate_ids(model, tokenizer, ids, max_new_tokens=max_new_tokens, **kwargs)
    return [tokenizer.decode(n, skip_special_tokens=True) for n in new]
