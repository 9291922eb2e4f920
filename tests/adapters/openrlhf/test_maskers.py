"""The OpenRLHF adapter's conventions and option checks, without OpenRLHF (cheap: runs in the CI tier)."""

from __future__ import annotations

import pytest

from harness.adapters.openrlhf import ENVIRONMENT, masker, not_applicable, policy_for
from harness.adapters.openrlhf.maskers import _Rows
from harness.masking.policy import Policy


def test_every_assistant_turn_is_trained_and_the_glue_and_conversation_end_either_way():
    assert policy_for({}) == Policy(turns="all", train_glue_after_stop=None, train_conversation_end=None)


def test_an_unknown_option_is_refused_before_openrlhf_is_imported():
    with pytest.raises(TypeError, match=r"unknown OpenRLHF SFT option\(s\) \['tools_key'\]"):
        masker(object(), tools_key="tools")


def test_a_tokenizer_without_template_or_eos_is_not_applicable():
    class Tokenizer:
        chat_template, eos_token = None, "</s>"

    assert "no chat_template" in not_applicable(Tokenizer())
    Tokenizer.chat_template, Tokenizer.eos_token = "{{ messages }}", None
    assert "no eos_token" in not_applicable(Tokenizer())


def test_the_rows_stand_in_maps_filters_and_reads_columns_like_a_dataset():
    rows = _Rows([{"messages": [1]}, {"messages": [2, 3]}])
    mapped = rows.map(lambda row: {"n": len(row["messages"])}, remove_columns=rows.column_names, num_proc=8)
    assert rows.column_names == ["messages"] and mapped["n"] == [1, 2]
    assert len(mapped.filter(lambda row: row["n"] > 1)) == 1


def test_the_environment_pins_the_transformers_openrlhf_requires():
    assert ENVIRONMENT.label == "openrlhf==0.11.2" and "transformers==5.15.0" in ENVIRONMENT.requirements


def test_without_multiturn_only_the_last_turn_is_trained():
    assert policy_for({"multiturn": False}).turns == "last" and policy_for({"multiturn": True}).turns == "all"


def test_multiturn_must_be_a_bool_and_is_checked_before_openrlhf_is_imported():
    with pytest.raises(TypeError, match=r"multiturn must be true or false, got 'no'"):
        masker(object(), multiturn="no")


def test_the_configurations_are_the_defaults_and_the_readme_s_single_turn_chat_set_up():
    from harness.adapters.openrlhf import CONFIGURATIONS

    assert [(c.name, dict(c.options)) for c in CONFIGURATIONS] == [("defaults", {}),
                                                                   ("multiturn=False", {"multiturn": False})]
    assert all("README" in c.documented for c in CONFIGURATIONS)
