"""Pieces of locating a turn: the header proper, the glue after the stop token, the lazy message starts."""

from __future__ import annotations

from harness.masking.oracle import MessageStarts
from harness.masking.oracle.anchor import _header_proper_length
from harness.masking.oracle.locate import _glue_end


def test_header_proper_ends_after_its_first_line_break():
    assert _header_proper_length("<|im_start|>assistant\n") == len("<|im_start|>assistant\n")
    assert _header_proper_length("<|im_start|>assistant\n<think>\n\n</think>\n\n") == len("<|im_start|>assistant\n")
    assert _header_proper_length("<|start|>assistant") == len("<|start|>assistant")


def test_glue_is_the_whitespace_after_the_stop_token_up_to_a_limit():
    assert _glue_end("x\n\ny", 1, 4) == 3
    assert _glue_end("x\n\ny", 1, 2) == 2
    assert _glue_end("xy", 1, 2) == 1


def test_known_message_starts():
    starts = MessageStarts.known([0, 5, None])
    assert starts.rendered and starts.get() == [0, 5, None]
    assert repr(starts) == "MessageStarts([0, 5, None])"
