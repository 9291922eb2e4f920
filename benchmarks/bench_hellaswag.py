"""HellaSwag throughput for a GPT-2-124M-shaped model (GPT2Config defaults, random weights:
weights do not change speed) on the best available device.

    python benchmarks/bench_hellaswag.py [--items N] [--batch-items B] [--dtype bfloat16]

Prints items/second and the projected time for the full 10,042-item validation set (goal on
GPU: well under 68.6 s). Items come from the HellaSwag data file ($HARNESS_DATA_DIR, see
harness.assets.data); when fewer are asked for than the file has, the first N are used, and
when more, the file is cycled. The tokenizer is Llama-3.2's when found (the GPT-2 tokenizer is
not in the shared set); the model's vocabulary is GPT-2's, token ids are taken modulo 50257.
"""

from __future__ import annotations

import argparse
import json
import sys
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=None, help="items to time (default: 16 on CPU, 1000 on GPU)")
    parser.add_argument("--batch-items", type=int, default=None, help="items per forward (x4 sequences)")
    parser.add_argument("--dtype", default=None, help="float32 | bfloat16 (default: bfloat16 on GPU, float32 on CPU)")
    parser.add_argument("--tokenizer", default="llama-3.2-instruct")
    parser.add_argument("--json", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)

    import torch

    from harness.adapters.transformers import build_gpt2_lm, load_tokenizer
    from harness.assets.data import HELLASWAG_FILE, find_data_file, missing_reason
    from harness.evaluation.folded_tokenizer import FoldedTokenizer
    from harness.evaluation.hellaswag import FULL_VALIDATION_SIZE, evaluate_multiple_choice, load_hellaswag

    path = find_data_file(HELLASWAG_FILE)
    if path is None:
        print(missing_reason(HELLASWAG_FILE), file=sys.stderr)
        return 2
    device = "cuda" if torch.cuda.is_available() else "cpu"
    n = args.items or (1000 if device == "cuda" else 16)
    batch_items = args.batch_items or (64 if device == "cuda" else 4)
    dtype = getattr(torch, args.dtype or ("bfloat16" if device == "cuda" else "float32"))
    items = load_hellaswag(path)
    items = [items[i % len(items)] for i in range(n)]

    model = build_gpt2_lm(seed=0).to(device=device, dtype=dtype)
    tokenizer = FoldedTokenizer(load_tokenizer(args.tokenizer), model.config.vocab_size)
    # Warm-up (CUDA context, kernels) is not part of the timing.
    evaluate_multiple_choice(model, tokenizer, items[: min(batch_items, n)], batch_items=batch_items)
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = evaluate_multiple_choice(model, tokenizer, items, batch_items=batch_items)
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    rate = n / seconds
    figures = {
        "device": torch.cuda.get_device_name() if device == "cuda" else f"cpu ({torch.get_num_threads()} threads)",
        "dtype": str(dtype).removeprefix("torch."),
        "items": n,
        "batch_items": batch_items,
        "seconds": round(seconds, 3),
        "items_per_second": round(rate, 2),
        "projected_seconds_full_validation": round(FULL_VALIDATION_SIZE / rate, 1),
        "acc": result.acc,
        "acc_norm": result.acc_norm,
    }
    print(
        f"{figures['device']}, {figures['dtype']}: {n} items in {seconds:.2f} s = {rate:.2f} items/s; "
        f"projected {FULL_VALIDATION_SIZE} items: {FULL_VALIDATION_SIZE / rate:.1f} s (goal on GPU: < 68.6 s)"
    )
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(figures, f, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
