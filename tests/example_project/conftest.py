"""The user's own Hypothesis settings: the harness's masking_check follows them (the project did not opt in)."""

from hypothesis import settings

settings.register_profile("example-project", max_examples=5, derandomize=True)
settings.load_profile("example-project")
