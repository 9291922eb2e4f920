"""The masking contract: which tokens of a rendered conversation a masker must train, and the check of a masker.

A conversation flows strategy → masker → oracle → properties → report:

- ``harness.strategies`` draws conversations a template accepts (``template_probe`` says what it renders;
  ``conversation`` validates messages);
- the masker under test turns each into ``input_ids`` and labels (``output`` normalises what it returns);
- the ``oracle`` renders the same conversation and says which tokens the model generated, under a ``policy``;
- ``judging`` puts one conversation through the masker and the ``properties``, with ``alignment`` where the masker's
  ids are segmented differently and ``token_kinds`` naming what each wrong token is;
- ``check`` searches and shrinks, in rounds, until each distinct failure has its own conversation, and ``report``
  prints each with a token ``table``, the ``coverage`` of what was exercised and a ``replay`` file.

``roles`` attributes tokens to roles from a template's own headers, for batches that carry ids without their
conversation (the training-run audit, loss statistics).
"""
