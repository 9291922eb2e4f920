import json

from harness.learning.result import LearningJobResult


def test_a_learning_result_reads_like_its_summary_and_passes_with_its_verdict():
    summary = {"job": "j", "runs": [], "verdict": {"passed": True, "failure": None}}
    result = LearningJobResult(summary)
    assert result["verdict"]["passed"] and dict(result) == summary == result.summary()
    assert result.passed is True and json.loads(result.to_json()) == summary
    assert LearningJobResult({"job": "j", "verdict": None}).passed is None  # no ``correct`` condition: no verdict
