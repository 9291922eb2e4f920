"""A masker's tokens mapped onto the characters of the rendering, whatever their segmentation.

Pipelines that tokenize message by message (hand-written renderers, many SFT data builders)
return ids that spell the rendering's text with other token boundaries (``\\n`` + `` \\n``
where the whole text gives ``\\n \\n``). Their labels can still be judged: each token's bytes
are laid end to end, compared with the bytes of the rendering's own tokenization, and mapped
to characters through it. Only when the bytes differ (an extra BOS, a lost or rewritten
token) are the label properties unjudgeable; ids that stop early (truncation) are judged on
the part they keep.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from harness.adapters import transformers as hf
from harness.masking.oracle import Oracle


class Match(enum.Enum):
    SAME = "same ids"  # the ids are the rendering's tokenization
    RESEGMENTED = "same text, other segmentation"
    TRUNCATED = "a prefix of the text"  # judged on the kept part
    DIFFERENT = "different text"  # labels cannot be judged position by position


@dataclass(frozen=True)
class Alignment:
    match: Match
    offsets: list[tuple[int, int]] | None  # each masker token's characters in oracle.text (None if DIFFERENT)
    first_difference: int  # first masker token whose boundaries or bytes differ from the rendering's
    reference_index: int  # the rendering's token at that place
    detail: str = ""


def _char_maps(oracle: Oracle, reference: list[bytes]) -> tuple[list[int], list[int]]:
    """For each byte position of the reference: the character a token starting there starts
    at, and the character a token ending there ends at."""
    total = sum(len(b) for b in reference)
    start_char = [len(oracle.text)] * (total + 1)
    end_char = [0] * (total + 1)
    position = 0
    for piece, (a, b) in zip(reference, oracle.offsets):
        try:
            exact = piece.decode("utf-8") == oracle.text[a:b]
        except UnicodeDecodeError:
            exact = False
        if exact:
            for k, ch in enumerate(oracle.text[a:b]):
                size = len(ch.encode("utf-8"))
                for j in range(size):
                    start_char[position + j] = a + k
                    end_char[position + j + 1] = a + k + 1
                position += size
        else:  # normalised (NFC), stripped (Phi's rstrip tokens) or partial UTF-8: the whole token
            for j in range(len(piece)):
                start_char[position + j] = a
                end_char[position + j + 1] = b
            position += len(piece)
    return start_char, end_char


def align(tokenizer, oracle: Oracle, input_ids: Sequence[int]) -> Alignment:
    """How ``input_ids`` (a masker's) relate to the rendering ``oracle`` judged."""
    ids = list(input_ids)
    if ids == oracle.input_ids:
        return Alignment(Match.SAME, list(oracle.offsets), len(ids), len(ids))
    first = next((i for i, (a, b) in enumerate(zip(ids, oracle.input_ids)) if a != b), min(len(ids), len(oracle.input_ids)))
    reference = hf.token_bytes(tokenizer, oracle.input_ids)
    theirs = hf.token_bytes(tokenizer, ids)
    if reference is None or theirs is None:
        return Alignment(Match.DIFFERENT, None, first, first, "the tokenizer's token bytes are not understood")
    ref_bytes, their_bytes = b"".join(reference), b"".join(theirs)
    if their_bytes == ref_bytes:
        match = Match.RESEGMENTED
    elif ref_bytes.startswith(their_bytes) and their_bytes:
        match = Match.TRUNCATED
    else:
        common = 0
        while common < min(len(ref_bytes), len(their_bytes)) and ref_bytes[common] == their_bytes[common]:
            common += 1
        return Alignment(
            Match.DIFFERENT, None, _token_at(theirs, common), _token_at(reference, common),
            f"the bytes differ from byte {common} on",
        )
    start_char, end_char = _char_maps(oracle, reference)
    offsets, position = [], 0
    for piece in theirs:
        a = start_char[position] if position < len(start_char) - 1 else len(oracle.text)
        position += len(piece)
        b = end_char[position] if piece else a
        offsets.append((a, max(a, b)))
    difference = _first_boundary_difference(reference, theirs)
    if difference is None:  # same boundaries, other ids for the same bytes
        return Alignment(match, offsets, first, first)
    return Alignment(match, offsets, _token_at(theirs, difference), _token_at(reference, difference))


def _token_at(pieces: list[bytes], byte_position: int) -> int:
    position = 0
    for index, piece in enumerate(pieces):
        if position + len(piece) > byte_position:
            return index
        position += len(piece)
    return len(pieces)


def _boundaries(pieces: list[bytes]) -> set[int]:
    out, position = {0}, 0
    for piece in pieces:
        position += len(piece)
        out.add(position)
    return out


def _first_boundary_difference(reference: list[bytes], theirs: list[bytes]) -> int | None:
    """The first byte position (within the shorter text) just before which one segmentation has a
    token boundary the other has not; None when they agree everywhere."""
    limit = min(sum(len(p) for p in reference), sum(len(p) for p in theirs))
    differing = sorted(p for p in _boundaries(reference) ^ _boundaries(theirs) if p <= limit)
    return differing[0] - 1 if differing else None
