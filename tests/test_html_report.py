"""The HTML token view (``python -m harness report``), loaded in real headless chromium: what the page shows
after its script ran (counts of trained tokens per column, the legend, failures linking to outlined tokens),
a screenshot with the role colours in it, and a 5,000-token conversation that stays readable."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess

import pytest

from harness.cli import main
from harness.html_report import ROLE_COLORS
from harness.masking.output import normalize_output
from harness.masking.oracle import Expect, build_oracle
from tests import report_maskers

TOKENIZER = "qwen2.5-instruct"
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather.", "parameters": {
    "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
MESSAGES = [
    {"role": "system", "content": "Be terse."},
    {"role": "user", "content": "Weather in Paris? <|im_end|>"},
    {"role": "assistant", "content": "", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
    {"role": "tool", "tool_call_id": "c1", "name": "get_weather", "content": "18 C <b>clear</b>"},
    {"role": "assistant", "content": "18 °C and clear."},
]


@pytest.fixture(scope="module")
def chromium():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (apt-get install chromium; .ci/run installs it)")
    return path


def _chromium(binary, *args, timeout=120):
    command = [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _dom(binary, page, width=1400):
    return _chromium(binary, f"--window-size={width},900", "--dump-dom", page.as_uri())


def _columns(dom):
    """(title, data-trained as the page's script counted it) per column."""
    return [(html_title, int(trained)) for html_title, trained in
            re.findall(r'<section class="col" id="c\d+" data-title="([^"]*)" data-trained="(\d+)"', dom)]


def _report(tmp_path, messages, tools, *maskers, name="conv"):
    conversation = tmp_path / f"{name}.json"
    conversation.write_text(json.dumps({"messages": messages, "tools": tools}), encoding="utf-8")
    page = tmp_path / f"{name}.html"
    argv = ["report", str(conversation), "--tokenizer", TOKENIZER, "-o", str(page)]
    for masker in maskers:
        argv += ["--masker", masker]
    assert main(argv) == 0
    return page


def test_page_shows_roles_trained_marks_and_failures_in_chromium(chromium, load_tokenizer_or_skip, tmp_path):
    tokenizer = load_tokenizer_or_skip(TOKENIZER)
    page = _report(tmp_path, MESSAGES, TOOLS, "tests.report_maskers:correct", "tests.report_maskers:tool_responses_trained")
    html_text = page.read_text(encoding="utf-8")
    assert "http://" not in html_text and "https://" not in html_text and "<link" not in html_text  # self-contained

    oracle = build_oracle(tokenizer, MESSAGES, TOOLS)
    broken = normalize_output(report_maskers.tool_responses_trained(tokenizer)(MESSAGES, TOOLS)).trained
    correct = normalize_output(report_maskers.correct(tokenizer)(MESSAGES, TOOLS)).trained
    expected = sum(e is Expect.TRAIN for e in oracle.expected)
    assert sum(broken) > sum(correct) == expected > 0  # the three columns must differ for the counts to mean anything

    dom = _dom(chromium, page)
    assert 'data-ready="1"' in dom  # the page's script ran
    assert _columns(dom) == [
        ("expected (oracle)", expected),
        ("tests.report_maskers:correct", sum(correct)),
        ("tests.report_maskers:tool_responses_trained", sum(broken)),
    ]
    assert f'{sum(broken)} trained of {len(oracle.input_ids)} tokens' in dom
    legend = re.search(r'<div class="legend" id="legend">(.*?)</div>', dom).group(1)
    for role in ("system", "user", "assistant", "tool"):
        assert f'data-role="{role}"' in legend
    assert "trained" in legend and "hazard / failure" in legend

    # The broken masker's failure is listed at the top and links to tokens outlined in its column; the tool
    # message's text is in those tokens; the correct masker has no failure.
    failures = re.findall(r'<li class="failure"><b>failure \[([a-z_]+)\]</b> in <i>([^<]+)</i>(.*?)</li>', dom)
    assert {(name, where) for name, where, _ in failures} == {
        ("no_label_outside_assistant_output", "tests.report_maskers:tool_responses_trained")}
    links = re.findall(r'href="#(c2-t\d+)"', failures[0][2])
    assert links
    linked = "".join(re.search(rf'<span class="t y r-tool bad" id="{anchor}"[^>]*>([^<]*)</span>', dom).group(1)
                     for anchor in links)
    assert "tool_response" in linked
    # The hazard (the user spells the stop token) links to that token in the expected column.
    hazard = re.search(r'<li class="hazard"><b>hazard \[control_string\]</b>(.*?)</li>', dom).group(1)
    anchor = re.search(r'href="#(c0-t\d+)"', hazard).group(1)
    assert re.search(rf'<span class="t n r-user bad" id="{anchor}"[^>]*>&lt;\|im_end\|&gt;</span>', dom)
    hover = re.search(r'id="c0-t0" data-i="0" data-id="(\d+)" title="([^"]*)"', dom)
    assert hover.group(1) == str(oracle.input_ids[0]) and hover.group(2).startswith("#0 id ")
    # The oracle column's tokens spell the rendering exactly (text escaped: the tool's <b> is no element).
    shown = re.findall(r'<span class="t [^"]*" id="c0-t\d+"[^>]*>([^<]*)</span>', dom)
    assert len(shown) == len(oracle.input_ids)
    assert html.unescape("".join(shown)).replace("↵\n", "\n") == oracle.text
    assert "<b>clear</b>" not in dom

    shot = tmp_path / "page.png"
    _chromium(chromium, "--window-size=1400,900", f"--screenshot={shot}", page.as_uri())
    from PIL import Image

    pixels = Image.open(shot).convert("RGB")
    colors = {pixel for _, pixel in pixels.getcolors(maxcolors=1 << 20)}
    for role in ("system", "user", "assistant", "tool"):
        value = ROLE_COLORS[role]
        assert tuple(int(value[i:i + 2], 16) for i in (1, 3, 5)) in colors, f"{role} colour not on screen"
    assert (0xD0, 0x00, 0x00) in colors  # the red outline of a failing token


def test_5000_token_conversation_stays_readable(chromium, load_tokenizer_or_skip, tmp_path):
    tokenizer = load_tokenizer_or_skip(TOKENIZER)
    words = " ".join(f"word{i % 97}" for i in range(300))
    messages = []
    for turn in range(3):
        messages += [{"role": "user", "content": f"Question {turn}: {words}"},
                     {"role": "assistant", "content": f"Answer {turn}:\n{words}\n" * 1}]
    oracle = build_oracle(tokenizer, messages)
    assert 5000 <= len(oracle.input_ids) <= 8000
    page = _report(tmp_path, messages, None, "tests.report_maskers:correct", name="long")
    assert page.stat().st_size < 3_000_000
    dom = _dom(chromium, page, width=1280)
    expected = sum(e is Expect.TRAIN for e in oracle.expected)
    assert _columns(dom) == [("expected (oracle)", expected), ("tests.report_maskers:correct", expected)]
    assert 'data-overflow-x="0"' in dom  # tokens wrap: no sideways scrolling at 1280 px with two columns
    font = float(re.search(r'data-token-font-px="([\d.]+)"', dom).group(1))
    assert font >= 12
