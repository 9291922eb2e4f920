"""LLM training-pipeline harness: checks that exactly the generated assistant tokens are trained."""
