"""Role attribution of token ids (harness/masking/roles.py): each role's header found from the chat template itself,
and every token given the role whose header last started."""

from __future__ import annotations

from harness.masking.roles import id_roles, role_headers, token_roles

QWEN_HEADERS = [("<|im_start|>assistant", "assistant"), ("<|im_start|>user", "user")]


def test_each_token_takes_the_role_whose_header_last_started():
    pieces = ["<|im_start|>", "user", "\nhi", "<|im_end|>", "\n", "<|im_start|>", "assistant", "\nyo", "<|im_end|>"]
    assert token_roles(pieces, QWEN_HEADERS) == ["user"] * 5 + ["assistant"] * 4


def test_before_any_header_the_start_role_holds():
    assert token_roles(["yo", "<|im_end|>"], QWEN_HEADERS, start="assistant") == ["assistant", "assistant"]
    assert token_roles(["x", "<|im_start|>user"], QWEN_HEADERS) == ["other", "user"]


def test_a_header_inside_a_token_starts_the_role_at_that_token():
    assert token_roles(["a\n<|im_start|>us", "er\nb"], QWEN_HEADERS) == ["user", "user"]


def test_headers_come_from_the_template_longest_first(load_tokenizer_or_skip):
    qwen = dict((role, header) for header, role in role_headers(load_tokenizer_or_skip("qwen2.5-instruct")))
    assert qwen["user"] == "<|im_start|>user" and qwen["assistant"] == "<|im_start|>assistant"
    llama = role_headers(load_tokenizer_or_skip("llama-3.1-instruct"))
    assert ("<|start_header_id|>ipython<|end_header_id|>", "tool") in llama
    assert [len(h) for h, _ in llama] == sorted((len(h) for h, _ in llama), reverse=True)


def test_roles_of_a_rendered_conversation(load_tokenizer_or_skip):
    from harness.adapters.transformers import encode, render

    tokenizer = load_tokenizer_or_skip("qwen2.5-instruct")
    text = render(tokenizer, [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}])
    ids = encode(tokenizer, text)
    roles = id_roles(tokenizer, ids)
    # Qwen writes its default system prompt first; then the user's turn, then the assistant's.
    assert roles[0] == "system" and roles[-1] == "assistant"
    assert roles == sorted(roles, key=["system", "user", "assistant"].index) and "user" in roles
