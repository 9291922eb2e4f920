"""Checks of the vocabulary: every token id has an embedding row (``vocab_size_config``, ``vocab_size_model``), and
every special or added token is one token alone and in running text, and decodes back to itself
(``special_token_single``, ``special_token_roundtrip``, ``special_token_in_text``)."""

from __future__ import annotations

from harness.adapters import transformers as hf
from harness.tokenizer_check.findings import ERROR, WARNING, Finding, id_ranges, shorten


def special_strings(tokenizer) -> dict[str, int]:
    """Every special or added token with its id (whitespace-only and one-character tokens left out)."""
    strings = {}
    for text in hf.special_token_strings(tokenizer):
        token_id = hf.encode(tokenizer, text)
        by_vocab = tokenizer.convert_tokens_to_ids(text)
        if by_vocab is not None:
            strings[text] = int(by_vocab)
        elif len(token_id) == 1:
            strings[text] = token_id[0]
    return strings


def check_vocab(report, tokenizer, config, model) -> None:
    """``vocab_size_config`` / ``vocab_size_model``: every token id has a row in the embedding."""
    count, largest = hf.token_id_span(tokenizer)
    beyond = lambda rows: sorted(  # noqa: E731
        (i, t) for t, i in tokenizer.get_vocab().items() if i >= rows)
    if config is None or config.get("vocab_size") is None:
        report.skipped["vocab_size_config"] = "no config.json given (config=...)"
    else:
        rows = int(config["vocab_size"])
        if largest >= rows:
            outside = beyond(rows)
            report.findings.append(Finding(
                "vocab_size_config", ERROR,
                f"{len(outside)} token id(s) ({id_ranges(i for i, _ in outside)}) are >= config vocab_size {rows}: "
                f"the embedding has no row for them ({shorten([t for _, t in outside])})",
                tuple(t for _, t in outside)))
    if model is None:
        report.skipped["vocab_size_model"] = "no model given (model=...)"
        return
    for matrix, rows in hf.embedding_rows(model).items():
        if largest >= rows:
            outside = beyond(rows)
            report.findings.append(Finding(
                "vocab_size_model", ERROR,
                f"the model's {matrix} has {rows} rows but token ids go up to {largest} "
                f"({len(outside)} token(s) without a row: {id_ranges(i for i, _ in outside)})",
                tuple(t for _, t in outside)))
        if config is not None and config.get("vocab_size") is not None and rows != int(config["vocab_size"]):
            report.findings.append(Finding(
                "vocab_size_model", WARNING, f"the model's {matrix} has {rows} rows, config.json says {config['vocab_size']}"))


def check_special_tokens(report, tokenizer) -> None:
    """``special_token_single`` / ``_roundtrip`` / ``_in_text``: each special or added token is one token."""
    single, roundtrip, in_text = [], [], []
    for text, token_id in sorted(special_strings(tokenizer).items(), key=lambda kv: kv[1]):
        if not text.strip("\u2581"):
            continue  # SentencePiece whitespace runs ('▁▁'): vocabulary, decoded as spaces by design
        alone = hf.encode(tokenizer, text)
        if alone != [token_id]:
            single.append(f"{text!r} (id {token_id}) encodes as {alone}")
        if hf.decode(tokenizer, [token_id]) != text:
            roundtrip.append(f"{text!r} (id {token_id}) decodes as {hf.decode(tokenizer, [token_id])!r}")
        running = f"x1{text}y2"
        ids = hf.encode(tokenizer, running)
        if ids.count(token_id) != 1:
            in_text.append(f"{text!r} (id {token_id}) inside {running!r} encodes as {ids}")
        elif text not in hf.decode(tokenizer, ids):
            in_text.append(f"{text!r} (id {token_id}) inside {running!r} decodes as {hf.decode(tokenizer, ids)!r}")
    for check, problems, what in (
        ("special_token_single", single, "do not encode as exactly their one id"),
        ("special_token_roundtrip", roundtrip, "do not decode back to their text"),
        ("special_token_in_text", in_text, "are not one token inside running text"),
    ):
        if problems:
            report.findings.append(Finding(check, ERROR, f"{len(problems)} special/added token(s) {what}: "
                                           + "; ".join(problems[:6]), tuple(problems)))
