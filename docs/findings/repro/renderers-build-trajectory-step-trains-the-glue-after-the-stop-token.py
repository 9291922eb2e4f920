"""renderers 0.1.12: build_trajectory_step trains the template's glue after the stop token.

    pip install renderers==0.1.12 transformers
    python renderers-build-trajectory-step-trains-the-glue-after-the-stop-token.py [TOKENIZER]

TOKENIZER: a Qwen3 tokenizer folder or Hub id (default "Qwen/Qwen3-0.6B"). One finished turn,
[user "What is 17 + 25?", assistant "42."], goes through build_trajectory_step(renderer, prompt, completion)
with Qwen3Renderer. completion_mask is True on every completion token, and the completion ends with the
'\\n' the template writes after '<|im_end|>'. The same renderer's own sampled_mask marks that '\\n' as not
sampled (qwen3.py: "The trailing \\n is template-appended between turns and never sampled").
"""

import sys

import renderers
from renderers import build_trajectory_step
from transformers import AutoTokenizer

name = sys.argv[1] if len(sys.argv) > 1 else "Qwen/Qwen3-0.6B"
tok = AutoTokenizer.from_pretrained(name)
renderer = renderers.create_renderer(tok, renderers.Qwen3RendererConfig())
messages = [{"role": "user", "content": "What is 17 + 25?"}, {"role": "assistant", "content": "42."}]

step = build_trajectory_step(renderer, messages[:1], messages[1:])
ids = list(step["prompt_ids"]) + list(step["completion_ids"])
trained = [bool(x) for x in step["prompt_mask"]] + [bool(x) for x in step["completion_mask"]]
sampled = renderer.render(messages).sampled_mask  # the renderer's own "the model samples this" flags
assert list(renderer.render(messages).token_ids) == ids

print(f"{'idx':>4} {'id':>7} {'build_trajectory_step':<22} {'render().sampled_mask':<22} token")
for k, (t, m) in enumerate(zip(ids, trained)):
    print(f"{k:>4} {t:>7} {'trained' if m else 'untrained':<22} {'sampled' if sampled[k] else 'not sampled':<22} {tok.convert_ids_to_tokens(t)!r}")

stops = set(renderer.get_stop_token_ids())
last_stop = max(k for k, t in enumerate(ids) if t in stops)
after = [(k, ids[k]) for k in range(last_stop + 1, len(ids)) if trained[k]]
if after:
    glue = " ".join(f"{tok.decode([t])!r} ({t})" for _, t in after)
    print(f"REPRODUCED: build_trajectory_step trains {glue} after the stop token "
          f"{tok.convert_ids_to_tokens(ids[last_stop])!r} ({ids[last_stop]}); the renderer's sampled_mask marks it not sampled")
else:
    print("NOT REPRODUCED: no token after the last stop token is trained")
    sys.exit(1)
