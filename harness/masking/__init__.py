"""The masking contract: which tokens of a rendered conversation a masker must train, and the check of a masker.

A conversation flows strategy → masker → oracle → properties → report: ``harness.strategies`` draws conversations a
template accepts (``template_probe``), the masker under test turns each into ``input_ids`` and labels (``output``
normalises what it returns), the ``oracle`` renders the same conversation and says which tokens the model generated,
``properties`` compares the two (``alignment`` where the ids are segmented differently, ``token_kinds`` naming what
each wrong token is), and ``check`` searches, shrinks and reports each distinct failure with a ``table`` of tokens,
``coverage`` of what was exercised and a ``replay`` file.
"""
