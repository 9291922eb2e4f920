"""A plain-torch supervised loop that plants a known signal in a tiny model (for evaluator tests).

``train_completions`` fits ``model`` to produce ``completion`` after ``prompt`` (loss on the
completion tokens only) for a handful of pairs: after it, an evaluator that works must see a
model far better than chance on exactly those pairs.
"""

from __future__ import annotations

from collections.abc import Sequence


def train_completions(
    model,
    tokenizer,
    pairs: Sequence[tuple[str, str]],
    *,
    steps: int = 150,
    lr: float = 3e-3,
    batch_size: int = 16,
    seed: int = 0,
    add_eos: bool = False,
) -> list[float]:
    """Train ``model`` in place on (prompt, completion) pairs; returns the loss of every step."""
    import torch

    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    examples = []
    for prompt, completion in pairs:
        p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        whole = tokenizer(prompt + completion, add_special_tokens=False)["input_ids"]
        if add_eos:
            whole = whole + [tokenizer.eos_token_id]
        labels = [-100] * len(p) + whole[len(p) :]
        examples.append((whole, labels))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    model.train()
    losses = []
    for _ in range(steps):
        idx = torch.randperm(len(examples), generator=generator)[:batch_size].tolist()
        batch = [examples[i] for i in idx]
        width = max(len(ids) for ids, _ in batch)
        input_ids = torch.full((len(batch), width), pad, dtype=torch.long)
        labels = torch.full((len(batch), width), -100, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (ids, lab) in enumerate(batch):
            input_ids[row, : len(ids)] = torch.tensor(ids)
            labels[row, : len(lab)] = torch.tensor(lab)
            mask[row, : len(ids)] = 1
        loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    model.eval()
    return losses
