"""Evaluation jobs: HellaSwag-style multiple choice, GSM8K exact match, verifiers environments
served through a loopback OpenAI-compatible endpoint, and a sampling probe.

Results have one shape, ``harness.reports.JobResult`` (``passed``, ``summary()``, ``to_json()``), and are written
to the report dir with ``harness.reports.write_json``. Every module imports torch/transformers lazily, inside
functions: importing ``harness`` stays cheap.
"""
