"""Support for tests of maskers, public for other projects: an independent correct masker (``reference``), the
planted-bug maskers a check must catch (``planted``), the planted loss bugs of a training step (``planted_loss``), the syrupy golden token-table extension (``golden``), and the
``masking_check`` fixture's implementation (``masking_check``)."""
