"""renderers 0.1.12: Qwen3Renderer strips a user message before asking whether it is a tool response, the
Qwen3 chat template does not, so they disagree on the last user query and on which reasoning to keep.

    pip install renderers==0.1.12 transformers
    python renderers-qwen3-renderer-strips-user-content-before-the-tool-response-check.py [TOKENIZER]

TOKENIZER: a Qwen3 tokenizer folder or Hub id (default "Qwen/Qwen3-0.6B"). The Qwen3 template counts a user
message as the last query unless `message.content.startswith('<tool_response>') and
message.content.endswith('</tool_response>')`, on the content as it is. Qwen3Renderer._is_user_query_message
tests `content.strip()` (qwen3.py:122-134). A user message carrying a tool result with a trailing newline
("<tool_response>\\n7\\n</tool_response>\\n") is then a query for the template (earlier reasoning dropped) and
not for the renderer (the earlier assistant turn keeps its reasoning block, and build_training_sample trains it).
"""

import sys

import renderers
from renderers import build_training_sample
from transformers import AutoTokenizer

name = sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen3-0.6B"
tok = AutoTokenizer.from_pretrained(name)
renderer = renderers.create_renderer(tok, renderers.Qwen3RendererConfig())
messages = [
    {"role": "user", "content": "What is 17 + 25?"},
    {"role": "assistant", "content": "42.", "reasoning_content": "17 + 25 = 42"},
    {"role": "user", "content": "<tool_response>\n7\n</tool_response>\n"},
    {"role": "assistant", "content": "Noted."},
]

sample = build_training_sample(renderer, messages)
template = list(tok.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"])
print("template:", repr(tok.decode(template)))
print("renderer:", repr(tok.decode(sample.token_ids)))
head = 0
while head < min(len(template), len(sample.token_ids)) and template[head] == sample.token_ids[head]:
    head += 1
tail = 0
while tail < min(len(template), len(sample.token_ids)) - head and template[-1 - tail] == sample.token_ids[-1 - tail]:
    tail += 1
extra = range(head, len(sample.token_ids) - tail)
print(f"{'idx':>4} {'id':>7} {'label':<10} {'in template':<12} token")
for k, (t, m) in enumerate(zip(sample.token_ids, sample.loss_mask)):
    print(f"{k:>4} {t:>7} {'trained' if m else 'untrained':<10} {'NO' if k in extra else 'yes':<12} {tok.convert_ids_to_tokens(t)!r}")

trained_extra = [sample.token_ids[k] for k in extra if sample.loss_mask[k]]
if list(sample.token_ids) != template and trained_extra:
    names = " ".join(f"{tok.decode([t])!r} ({t})" for t in trained_extra)
    print(f"REPRODUCED: Qwen3Renderer keeps and build_training_sample trains {names} in the first assistant turn, "
          f"a reasoning block the Qwen3 template drops (it takes the user message ending in '</tool_response>\\n' as the last query)")
else:
    print("NOT REPRODUCED: the renderer's ids equal the template's")
    sys.exit(1)
