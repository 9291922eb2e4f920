"""Support for tests of maskers, public for other projects: the planted-bug maskers and an independent correct masker
(``planted``), the syrupy golden token-table extension (``golden``), the ``masking_check`` fixture (``masking_check``)."""
