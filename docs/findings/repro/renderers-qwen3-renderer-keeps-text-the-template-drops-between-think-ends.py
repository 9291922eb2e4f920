"""renderers 0.1.12: Qwen3Renderer keeps the text between the first and the last '</think>' of an assistant
content, which the Qwen3 chat template drops, and build_training_sample trains it.

    pip install renderers==0.1.12 transformers
    python renderers-qwen3-renderer-keeps-text-the-template-drops-between-think-ends.py [TOKENIZER]

TOKENIZER: a Qwen3 tokenizer folder or Hub id (default "Qwen/Qwen3-0.6B"). The Qwen3 template, for an
assistant content without reasoning_content, takes the reasoning before the FIRST '</think>' and the content
after the LAST one:
    reasoning_content = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n')
    content = content.split('</think>')[-1].lstrip('\\n')
Qwen3Renderer._render_assistant splits once, at the first '</think>' (content.split("</think>", 1)), and
keeps everything after it as the answer.
"""

import sys

import renderers
from renderers import build_training_sample
from transformers import AutoTokenizer

name = sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen3-0.6B"
tok = AutoTokenizer.from_pretrained(name)
renderer = renderers.create_renderer(tok, renderers.Qwen3RendererConfig())
messages = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "x</think>\ny</think>\nz"}]

sample = build_training_sample(renderer, messages)
template = tok.apply_chat_template(messages, tokenize=True, return_dict=True)["input_ids"]
template = list(template)
print("template:", repr(tok.decode(template)))
print("renderer:", repr(tok.decode(sample.token_ids)))
print(f"{'idx':>4} {'id':>7} {'label':<10} {'in template':<12} token")
# Align the renderer's ids with the template's: common prefix and common suffix.
head = 0
while head < min(len(template), len(sample.token_ids)) and template[head] == sample.token_ids[head]:
    head += 1
tail = 0
while tail < min(len(template), len(sample.token_ids)) - head and template[-1 - tail] == sample.token_ids[-1 - tail]:
    tail += 1
extra = range(head, len(sample.token_ids) - tail)
for k, (t, m) in enumerate(zip(sample.token_ids, sample.loss_mask)):
    print(f"{k:>4} {t:>7} {'trained' if m else 'untrained':<10} {'NO' if k in extra else 'yes':<12} {tok.convert_ids_to_tokens(t)!r}")

trained_extra = [sample.token_ids[k] for k in extra if sample.loss_mask[k]]
if list(sample.token_ids) != template and trained_extra:
    names = " ".join(f"{tok.decode([t])!r} ({t})" for t in trained_extra)
    print(f"REPRODUCED: Qwen3Renderer renders and build_training_sample trains {names}, "
          f"text the Qwen3 template drops (it keeps only what follows the last '</think>' (151668))")
else:
    print("NOT REPRODUCED: the renderer's ids equal the template's")
    sys.exit(1)
