"""The broken-masking controls rewrite trl's GRPO tool mask exactly as documented."""

import pytest


def test_break_tool_mask_modes():
    torch = pytest.importorskip("torch")
    from harness.adapters.trl import break_tool_mask

    # completion: call(1 1) tool(0 0) answer(1 1 1) pad
    tool_mask = torch.tensor([[1, 1, 0, 0, 1, 1, 1, 1]])
    completion_mask = torch.tensor([[1, 1, 1, 1, 1, 1, 1, 0]])
    assert break_tool_mask(tool_mask, completion_mask, "correct").tolist() == tool_mask.tolist()
    assert break_tool_mask(tool_mask, completion_mask, "tool_only").tolist() == [[0, 0, 1, 1, 0, 0, 0, 0]]
    assert break_tool_mask(tool_mask, completion_mask, "post_tool_masked").tolist() == [[1, 1, 0, 0, 0, 0, 0, 0]]
    with pytest.raises(ValueError):
        break_tool_mask(tool_mask, completion_mask, "nonsense")
