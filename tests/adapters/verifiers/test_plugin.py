"""verifiers' own plugin loader finds the exact-match taskset and the in-process harness that
``evaluate_exact_match`` registers (``harness.adapters.verifiers.plugin``)."""

from __future__ import annotations


def test_verifiers_loader_finds_the_taskset_and_the_harness():
    from verifiers.v1.utils.loaders import harness_class, taskset_class

    import harness.adapters.verifiers as adapter
    from harness.adapters.verifiers import plugin
    from harness.adapters.verifiers.evaluation import register_plugin

    plugin_id = register_plugin()
    assert plugin_id == adapter.PLUGIN_ID and "." not in plugin_id
    assert taskset_class(plugin_id) is plugin.ExactMatchTaskset
    assert harness_class(plugin_id) is plugin.InProcessChatHarness
    assert adapter.ExactMatchTaskset is plugin.ExactMatchTaskset  # still reachable from the package, lazily


def test_exact_match_reward_reads_the_reply():
    from harness.adapters.verifiers import reply_matches

    assert reply_matches(" 42 \n", "42")
    assert reply_matches("<answer>1</answer> then <answer> 42 </answer>", "42", "answer_tag")
    assert not reply_matches("42", "42", "answer_tag")
