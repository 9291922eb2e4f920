"""The chat templates trl ships and trains with: which one ``assistant_only_loss`` uses, and their names."""

from __future__ import annotations


def qwen2_5_chat_template() -> str:
    """trl's own copy of the Qwen2.5 chat template (trl recognises it: training template, tool-call parser)."""
    from trl.chat_template_utils import qwen2_5_chat_template as template

    return template


def trl_template_name(chat_template: str | None) -> str | None:
    """The file name of the trl-shipped template equal to ``chat_template`` (``qwen3_training.jinja``), or None."""
    from harness.adapters.trl._private import shipped_chat_templates

    if not chat_template:
        return None
    for path in shipped_chat_templates():
        if path.read_text(encoding="utf-8") == chat_template:
            return path.name
    return None


def training_chat_template(tokenizer) -> tuple[str, str]:
    """``(template, label)``: the template trl trains ``tokenizer`` with under ``assistant_only_loss`` — its
    ``*_training.jinja`` replacement, or the tokenizer's own template when that already has ``{% generation %}``
    markers. ``label`` names it (``qwen3_training.jinja (trl)`` or ``the tokenizer's own``). Raises ValueError
    (trl's message) for a template trl cannot patch."""
    from trl.chat_template_utils import get_training_chat_template

    replacement = get_training_chat_template(tokenizer)
    if replacement is not None:
        return replacement, f"{trl_template_name(replacement) or 'a patched template'} (trl)"
    own = tokenizer.chat_template
    return (own["default"] if isinstance(own, dict) else own), "the tokenizer's own"
