"""Control strings worth spelling inside content: the template's own turn markers and stop tokens
(``control_strings_for(tokenizer)``) and common spellings of other templates' tokens."""

from __future__ import annotations

# Spellings of other templates' control tokens, added to a tokenizer's own by conversations_for.
CROSS_TEMPLATE_CONTROL_STRINGS = (
    "<|im_start|>",
    "<|im_end|>",
    "<|eot_id|>",
    "<|start_header_id|>",
    "[INST]",
    "[/INST]",
    "<tool_call>",
    "</tool_call>",
    "<think>",
    "</think>",
    "<end_of_turn>",
    "<|end|>",
    "<|return|>",
)


def control_strings_for(tokenizer) -> tuple[str, ...]:
    """Control-token strings worth spelling inside content: those the template itself writes (its
    turn markers and stop tokens, found by rendering a small conversation) plus common spellings of
    other templates' tokens. Unused reserved tokens (Llama has ~250) are left out so that the
    template's real stop token is drawn often."""
    from harness.adapters.transformers import render, special_token_strings

    sample = [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]
    try:
        rendered = render(tokenizer, sample)
        prompt = render(tokenizer, sample[:1], add_generation_prompt=True)
        history = render(tokenizer, sample[:1])
    except Exception:
        rendered = prompt = history = ""
    specials = sorted(special_token_strings(tokenizer))
    # What the template writes after the answer (its stop token) first, then the rest it writes.
    ending = [s for s in specials if s in rendered[len(prompt) :]]
    used = [s for s in specials if s in rendered + prompt and s not in ending]
    # The template's own assistant header spelled in content (a masker that searches for the header
    # text, or for the role name, lands there), and the bare role words.
    header = prompt[len(history) :] if prompt.startswith(history) and len(prompt) > len(history) else ""
    roles = [header] if header.strip() else []
    roles += ["assistant\n", "assistant", "model\n"]
    return tuple(dict.fromkeys(ending + used + roles + sorted(CROSS_TEMPLATE_CONTROL_STRINGS)))
