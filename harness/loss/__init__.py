"""The contract at the loss: what the optimizer sees of a training step, judged against the oracle.

A training step (``step(model, conversations) -> loss``, see ``step``) runs on a tiny causal LM built from a config;
``attribution`` captures d loss / d (final hidden state) at every position of every forward pass the step makes;
``weights`` turns each position's gradient into the weight its prediction got (and checks its target); ``judging``
compares positions and weights with the oracle (``harness.masking.oracle``) under a documented normalisation;
``packing`` checks conversations packed into one row (position ids from 0, the same hidden states as alone);
``check`` searches conversations from the strategies (``check_training_step``) and ``report`` prints each failure
class with a token table that shows the weight every token got.
"""
