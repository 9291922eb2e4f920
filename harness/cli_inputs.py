"""The command line's inputs, read so that each problem is one line naming it (exit status 2), not a traceback.

``CliError`` carries that line; ``exits_cleanly`` turns it into ``file: problem`` on stderr and status 2. The
readers: a conversation file (exists, is JSON, holds messages, each message a dict with a role, the conversation
valid), a text file (``--chat-template``), a tokenizer name, a ``module:factory`` masker.
"""

from __future__ import annotations

import functools
import importlib
import json
import sys
from collections.abc import Callable
from typing import Any

USAGE_ERROR = 2  # argparse's status for bad usage; the same for bad input


class CliError(Exception):
    """A problem with what the command was given; its message is the one line printed."""


def exits_cleanly(main: Callable[..., int]) -> Callable[..., int]:
    """``main`` with each ``CliError`` printed as one line on stderr and returned as status 2."""

    @functools.wraps(main)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        try:
            return main(*args, **kwargs)
        except CliError as error:
            print(f"error: {error}", file=sys.stderr)
            return USAGE_ERROR

    return wrapper


def read_text(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise CliError(f"{path}: no such file ({what})") from None
    except IsADirectoryError:
        raise CliError(f"{path}: is a folder, not a file ({what})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"{path}: cannot be read ({what}): {error}") from None


def read_conversation(path: str) -> tuple[list[dict], list[dict] | None, dict, dict]:
    """(messages, tools, template_kwargs, policy fields) of a conversation or replay file, validated."""
    from harness.masking.conversation import ConversationError, validate_conversation

    text = read_text(path, "a conversation: {'messages': [...], 'tools': [...]} or a list of messages")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CliError(f"{path}: not JSON: {error.msg} at line {error.lineno} column {error.colno}") from None
    if isinstance(data, list):
        messages, tools, template_kwargs, policy = data, None, {}, {}
    elif isinstance(data, dict) and "messages" in data:
        messages, tools = data["messages"], data.get("tools")
        template_kwargs, policy = dict(data.get("template_kwargs") or {}), dict(data.get("policy") or {})
    else:
        raise CliError(f"{path}: expected a list of messages or an object with 'messages'")
    if not isinstance(messages, list) or not messages:
        raise CliError(f"{path}: the conversation is empty (no messages)")
    for index, message in enumerate(messages):
        if isinstance(message, dict) and "role" not in message:
            raise CliError(f"{path}: message {index} has no 'role' (keys: {', '.join(sorted(message)) or 'none'})")
    try:
        validate_conversation(messages, tools)
    except ConversationError as error:
        raise CliError(f"{path}: {error}") from None
    return messages, tools, template_kwargs, policy


def tokenizer_named(name: str, chat_template: str | None = None):
    """The tokenizer ``name`` (registry name or folder), with the template file's text when one is given."""
    from harness.adapters.transformers import load_tokenizer

    try:
        tokenizer = load_tokenizer(name)
    except LookupError as error:
        raise CliError(f"--tokenizer {name}: {error.args[0] if error.args else error}") from None
    except (OSError, ValueError) as error:
        raise CliError(f"--tokenizer {name}: cannot be loaded: {error}") from None
    if chat_template:
        tokenizer.chat_template = read_text(chat_template, "--chat-template")
    return tokenizer


def factory_named(spec: str, flag: str = "--masker") -> Callable[..., Any]:
    """The function a ``module:factory`` spec names (``CliError`` naming ``flag`` when there is none)."""
    module_name, colon, factory_name = spec.partition(":")
    if not colon or not module_name or not factory_name:
        raise CliError(f"{flag} {spec}: expected module:factory")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise CliError(f"{flag} {spec}: no module named {error.name!r}") from None
    factory = getattr(module, factory_name, None)
    if not callable(factory):
        raise CliError(f"{flag} {spec}: {module_name} has no function {factory_name!r}")
    return factory


def masker_from(spec: str, tokenizer):
    """``factory(tokenizer)`` for a ``module:factory`` spec."""
    return factory_named(spec)(tokenizer)
