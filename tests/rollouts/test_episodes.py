"""harness.rollouts.episodes on hand-made episodes: a correct pipeline passes, and each planted bug fires its property."""

import pytest

from harness.rollouts.episodes import (
    Episode,
    SampledTurn,
    TrainingSample,
    assert_episode,
    episode_problems,
    explain_difference,
    prefix_cell,
)

# prompt 1 2 3 | call 10 11 EOS(9) | glue 8 | tool result 20 21 | header 5 | answer 30 31 EOS(9)
P1 = (1, 2, 3)
C1 = (10, 11, 9)
P2 = P1 + C1 + (8, 20, 21, 5)
C2 = (30, 31, 9)
TURNS = (SampledTurn(P1, C1), SampledTurn(P2, C2))
SEQ = P2 + C2
SAMPLED = tuple(i in (3, 4, 5, 10, 11, 12) for i in range(len(SEQ)))


def episode(trained=SAMPLED, ids=SEQ, samples=None, full=None, declared=1):
    samples = samples or (TrainingSample(ids, tuple(trained)),)
    return Episode("hand", TURNS, samples, incremental_ids=SEQ, full_ids=full if full is not None else SEQ,
                   declared_samples=declared)


def names(problems, failures_only=True):
    return {p.name for p in problems if not (failures_only and p.hazard)}


def test_correct_episode_passes():
    assert episode_problems(episode()) == []
    assert_episode(episode())


def test_glue_or_tool_result_trained_is_injected_token_trained():
    glue = list(SAMPLED)
    glue[6] = True
    tool = list(SAMPLED)
    tool[7] = tool[8] = True
    for trained, positions in ((glue, (6,)), (tool, (7, 8))):
        problems = episode_problems(episode(trained))
        assert [(p.name, p.positions) for p in problems] == [("injected_token_trained", positions)]
        assert "injected" in problems[0].table and "◀" in problems[0].table


def test_answer_untrained_is_sampled_token_not_trained():
    trained = list(SAMPLED)
    trained[12] = False  # the final EOS
    problems = episode_problems(episode(trained))
    assert [(p.name, p.positions) for p in problems] == [("sampled_token_not_trained", (12,))]


def test_rewritten_completion_is_sampled_token_missing():
    """The pipeline re-rendered the first turn (11 became 12): the sampled ids are nowhere unchanged."""
    ids = P1 + (10, 12, 9) + P2[6:] + C2
    problems = episode_problems(episode(ids=ids, full=ids))
    assert "sampled_token_missing" in names(problems)
    assert "injected_token_trained" in names(problems)  # the rewritten ids are trained
    assert "trains_rerendered_history" in names(problems)


def test_an_undeclared_second_sample_is_a_silent_new_branch():
    first = TrainingSample(P1 + C1, (False,) * 3 + (True,) * 3)
    second = TrainingSample(SEQ, tuple(i >= 10 for i in range(len(SEQ))))
    problems = episode_problems(episode(samples=(first, second)))
    assert names(problems) == {"silent_new_branch"}
    assert episode_problems(episode(samples=(first, second), declared=2)) == []


def test_a_difference_not_trained_is_a_hazard_and_appending_is_named():
    rerendered = P1 + (10, 77, 9) + P2[6:] + C2  # full render differs in history; the pipeline trains SEQ
    problems = episode_problems(episode(full=rerendered))
    assert [(p.name, p.hazard) for p in problems] == [("incremental_differs_from_full", True)]
    appended = episode_problems(episode(full=SEQ + (8,)))
    assert [(p.name, p.hazard) for p in appended] == [("full_render_appends", True)]
    assert assert_episode(episode(full=SEQ + (8,)))[0].hazard


def test_assert_episode_names_every_failing_property():
    trained = [True] * len(SEQ)
    with pytest.raises(AssertionError, match=r"nothing_injected_trained/injected_token_trained"):
        assert_episode(episode(trained))


def test_explain_difference_marks_the_first_difference():
    text = explain_difference([1, 2, 3], [1, 2, 4])
    assert "first difference at position 2" in text and "◀" in text


def test_prefix_cell():
    assert prefix_cell("t", "user", "ab", "abc").stable is True
    cell = prefix_cell("t", "user", "abX", "abYc")
    assert cell.stable is False and cell.first_difference["char"] == 2
    assert prefix_cell("t", "tool", None, None, "raises").stable is None


def test_samples_must_have_one_flag_per_token():
    with pytest.raises(ValueError, match="differ in length"):
        TrainingSample((1, 2), (True,))
