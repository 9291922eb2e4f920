"""Learning-signal jobs: does SFT warm-up + GRPO (trl) actually learn, with correct masking, and not with broken
masking or a random reward? A job's result is a ``LearningJobResult`` (``harness.reports.JobResult``: ``passed``,
``summary()``, ``to_json()``; read like its JSON summary). torch/transformers/trl are imported only when a job runs."""

from harness.learning.jobs import run_learning_job, train_single_step_model
from harness.learning.result import LearningJobResult
from harness.learning.sizes import CPU, GPU, LearningSize, get_size
from harness.learning.tasks import COPY, LOOKUP, TASKS, TOOL, Task

__all__ = [
    "CPU",
    "COPY",
    "GPU",
    "LOOKUP",
    "TASKS",
    "TOOL",
    "LearningJobResult",
    "LearningSize",
    "Task",
    "get_size",
    "run_learning_job",
    "train_single_step_model",
]
