"""``verify_tokenizer``: is this tokenizer consistent with its model, its template and the training data?

Each check yields named findings (``error``: training or generation goes wrong; ``warning``: worth a look):

- ``vocab_size_config`` / ``vocab_size_model``: every token id has a row in the embedding (``config.json``'s
  ``vocab_size``; the model's input and output embedding matrices);
- ``special_token_single`` / ``special_token_roundtrip`` / ``special_token_in_text``: every special and added
  token encodes as exactly its one id, decodes back to its text, alone and inside running text;
- ``template_control_tokens``: the control tokens the chat template writes (``<|im_end|>``, ``<start_of_turn>``,
  ``<｜Assistant｜>`` ...) exist in the vocabulary as single tokens;
- ``special_ids_agree``: eos, pad and bos agree across the tokenizer, the generation config (and the model's
  config), and the template: the token that ends an assistant turn stops generation; no double BOS;
- ``added_tokens_in_training_data``: tokens the user added occur in the training file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.tokenizer_check.findings import CHECKS, ERROR, WARNING, Finding, TokenizerReport
from harness.tokenizer_check.template import CONTROL_SHAPES, check_ids, check_template_tokens, render_probe, template_text
from harness.tokenizer_check.training_data import check_training_file
from harness.tokenizer_check.vocabulary import check_special_tokens, check_vocab

__all__ = ["CHECKS", "CONTROL_SHAPES", "ERROR", "WARNING", "Finding", "TokenizerReport", "verify_tokenizer"]


def _load_json_source(source: Any, file_name: str) -> Mapping[str, Any] | None:
    """A config given as a dict, an object with attributes, a JSON file, or a folder holding ``file_name``."""
    if source is None:
        return None
    if isinstance(source, Mapping):
        return source
    if isinstance(source, (str, Path)):
        path = Path(source)
        path = path / file_name if path.is_dir() else path
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    if hasattr(source, "to_dict"):
        return source.to_dict()
    return vars(source)


def verify_tokenizer(
    tokenizer,
    *,
    model=None,
    config: Any = None,
    generation_config: Any = None,
    training_file: str | Path | None = None,
    added_tokens: Sequence[str] | None = None,
) -> TokenizerReport:
    """Check ``tokenizer`` against its model, template and data; returns a ``TokenizerReport`` of named findings.

    ``config``: ``config.json`` (path, folder, dict or config object), for ``vocab_size`` (and eos/pad/bos);
    ``model``: a loaded model, whose embedding matrices and config are checked too; ``generation_config``: path,
    folder, dict or object (default: the model's, else ``generation_config.json`` beside ``config``);
    ``training_file``: text, JSON or JSON Lines; ``added_tokens``: the tokens you added (default: added tokens
    that are not special and that the template does not write). A check without its input is listed in
    ``report.skipped``.
    """
    report = TokenizerReport()
    config_data = _load_json_source(config, "config.json")
    if config_data is None and model is not None:
        config_data = _load_json_source(model.config, "config.json")
    if generation_config is None and model is not None and getattr(model, "generation_config", None) is not None:
        generation_config = model.generation_config
    if generation_config is None and isinstance(config, (str, Path)):
        folder = Path(config) if Path(config).is_dir() else Path(config).parent
        generation_config = folder / "generation_config.json"
    generation = _load_json_source(generation_config, "generation_config.json")
    model_config = _load_json_source(model.config, "config.json") if model is not None else None
    rendered = render_probe(tokenizer) if template_text(tokenizer) else ""
    check_vocab(report, tokenizer, config_data, model)
    check_special_tokens(report, tokenizer)
    check_template_tokens(report, tokenizer, rendered)
    check_ids(report, tokenizer, rendered, generation, model_config)
    check_training_file(report, tokenizer, training_file, added_tokens)
    return report
