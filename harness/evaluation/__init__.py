"""Evaluation jobs: HellaSwag-style multiple choice, GSM8K exact match, verifiers environments
served through a loopback OpenAI-compatible endpoint, and a sampling probe.

Every module imports torch/transformers lazily, inside functions: importing ``harness`` stays cheap.
"""
