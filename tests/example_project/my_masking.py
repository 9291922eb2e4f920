"""A user's own masking function (what a training repository would have): ChatML, one assistant turn at a time.

Each assistant turn is found by rendering the history with the generation prompt (where the model starts) and
the history with the turn (it ends at the template's last ``<|im_end|>``). ``forget_end_of_turn=True`` is the
classic bug: the ``<|im_end|>`` that ends the turn is not trained, so the model never learns to stop.
"""

IGNORE = -100
END = "<|im_end|>"


def build_masker(tokenizer, *, forget_end_of_turn=False):
    def render(messages, tools, **kwargs):
        return tokenizer.apply_chat_template(messages, tools=tools, tokenize=False, **kwargs)

    def masker(messages, tools):
        text = render(messages, tools)
        encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        spans = []
        for i, message in enumerate(messages):
            if message["role"] == "assistant":
                start = len(render(messages[:i], tools, add_generation_prompt=True))
                end = render(messages[: i + 1], tools).rfind(END) + (0 if forget_end_of_turn else len(END))
                spans.append((start, end))
        labels = [
            token if any(a < end and b > start for start, end in spans) else IGNORE
            for token, (a, b) in zip(encoded["input_ids"], encoded["offset_mapping"])
        ]
        return {"input_ids": encoded["input_ids"], "labels": labels}

    return masker
