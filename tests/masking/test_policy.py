"""Policy rejects values outside its documented conventions."""

from __future__ import annotations

import pytest

from harness.masking.policy import Policy


@pytest.mark.parametrize(
    "field, value",
    [("turns", "first"), ("segmentation", False), ("train_glue_after_stop", "yes"), ("train_assistant_header", 1.5)],
)
def test_policy_rejects_undocumented_values(field, value):
    with pytest.raises(ValueError, match=field):
        Policy(**{field: value})


def test_policy_accepts_every_documented_value():
    for value in (True, False, None):
        Policy(train_glue_after_stop=value, train_header_whitespace=value, train_conversation_end=value,
               train_assistant_header=value)
    assert Policy(turns="last", segmentation=None).turns == "last"
