"""Per-position gradient attribution against a batch's own labels (the learning jobs' check).

Moved to ``harness.loss.attribution``, beside the check at the loss that judges the same gradients against the
oracle (``harness.check_training_step``); re-exported here for the learning jobs.
"""

from __future__ import annotations

from harness.loss.attribution import Attribution, attribute, final_norm, target_sensitivity

__all__ = ["Attribution", "attribute", "final_norm", "target_sensitivity"]
