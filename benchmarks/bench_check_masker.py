"""Per template: conversations per second checked by check_masker on a correct masker, and the
oracle's cost as a ratio to one plain tokenization of the same conversation.

    python benchmarks/bench_check_masker.py [--examples 40] [NAME ...]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.adapters.transformers import load_tokenizer, render  # noqa: E402
from harness.masking.check import check_masker  # noqa: E402
from harness.masking.oracle import build_oracle  # noqa: E402
from harness.strategies import conversations_for  # noqa: E402
from harness.testing.reference import correct_masker  # noqa: E402

STOPS = {"qwen2.5-instruct": "<|im_end|>", "llama-3.1-instruct": "<|eot_id|>", "gemma-2-it": "<end_of_turn>",
         "phi-3.5-mini-instruct": "<|end|>", "aya-expanse": "<|END_OF_TURN_TOKEN|>", "smollm3-3b": "<|im_end|>"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*", default=sorted(STOPS))
    parser.add_argument("--examples", type=int, default=40)
    args = parser.parse_args()
    print("conv/s: conversations check_masker judges per second (correct masker, shrinking not needed);")
    print("oracle/tokenize: time of build_oracle over one plain tokenization of the rendered text")
    print(f"{'template':<24} {'conv/s':>8} {'oracle/tokenize':>16}")
    for name in args.names:
        tokenizer = load_tokenizer(name)
        start = time.perf_counter()
        report = check_masker(correct_masker(tokenizer, STOPS[name]), tokenizer, max_examples=args.examples)
        rate = report.examples / (time.perf_counter() - start)
        samples = [conversations_for(tokenizer).example() for _ in range(20)]
        t0 = time.perf_counter()
        for c in samples:
            build_oracle(tokenizer, c["messages"], c["tools"])
        oracle_time = time.perf_counter() - t0
        texts = [render(tokenizer, c["messages"], c["tools"]) for c in samples]
        t0 = time.perf_counter()
        for text in texts:
            tokenizer(text, add_special_tokens=False)
        plain = time.perf_counter() - t0
        print(f"{name:<24} {rate:>8.1f} {oracle_time / plain:>15.1f}x   ({'passed' if report.passed else 'FAILED'})")


if __name__ == "__main__":
    main()
