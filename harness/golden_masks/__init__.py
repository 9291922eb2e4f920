"""Golden masks: per chat template, the oracle's expected labels and what each training pipeline trains, over a
fixed set of conversations, as one token per row (``golden/<template>.txt``).

- ``conversations``: the fixed conversations (single turn, reasoning, tool calls, ...), shaped by what the
  template renders;
- ``pipelines``: the pipelines, one entry each (adding a column is adding an entry to ``PIPELINES``);
- ``table``: the text of a golden file.
"""
