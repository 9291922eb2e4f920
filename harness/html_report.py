"""An HTML token view: one self-contained page (inline CSS and JS, no network) of a conversation's tokens.

``python -m harness report conv.json --tokenizer NAME [--masker module:factory ...]``. Tokens are coloured by
the role of their message; trained tokens are underlined in black (``~`` either: dashed); hovering a token shows
its index, id, text and role and highlights the same token in every column. Columns sit side by side: what the
oracle expects, then each masker's labels. Hazards and failures are listed at the top, each linking to its
tokens (outlined in red). Tokens flow as the rendered text does (newlines break lines), so a 5,000-token
conversation reads as a page of text, not a 5,000-row table.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROLE_COLORS = {
    "system": "#dcd6f7",
    "user": "#cfe8ff",
    "assistant": "#d4f5d4",
    "tool": "#ffe0b3",
    "template": "#e6e6e6",
    "end": "#e6e6e6",
}
OTHER_COLOR = "#e6e6e6"
MAX_LINKS = 20  # links per hazard or failure (the rest are still outlined in the columns)


@dataclass
class Column:
    title: str
    marks: list[str]  # per token: "y" trained, "n" not, "e" either
    token_ids: list[int]
    texts: list[str]
    roles: list[str]
    flagged: set[int] = field(default_factory=set)
    note: str = ""


@dataclass
class Finding:
    kind: str  # "hazard" or "failure"
    name: str
    detail: str
    column: int
    tokens: list[int]


def _marks_of_oracle(oracle) -> list[str]:
    from harness.masking.oracle import Expect

    return [{Expect.TRAIN: "y", Expect.SKIP: "n", Expect.EITHER: "e"}[e] for e in oracle.expected]


def _token_texts(oracle, tokenizer) -> list[str]:
    from harness.adapters.transformers import decode_token

    texts = []
    for token_id, (a, b) in zip(oracle.input_ids, oracle.offsets):
        texts.append(oracle.text[a:b] if b > a else decode_token(tokenizer, token_id))
    return texts


def _message_tokens(oracle, tokenizer, index: int, template_kwargs) -> list[int]:
    """Token indices of message ``index`` in the rendering: from where the history before it ends to where the
    history through it ends (prefix renders; empty when the template rewrites the history)."""
    from harness.adapters.transformers import render

    try:
        before = render(tokenizer, oracle.messages[:index], oracle.tools, **template_kwargs) if index else ""
        through = render(tokenizer, oracle.messages[: index + 1], oracle.tools, **template_kwargs)
    except Exception:
        return []
    if not (through.startswith(before) and oracle.text.startswith(through)):
        return []
    start, end = len(before), len(through)
    return [t for t, (a, b) in enumerate(oracle.offsets) if a < end and b > start]


def _hazard_tokens(oracle, tokenizer, hazard, template_kwargs) -> list[int]:
    """The tokens a hazard is about: those it names, else its turn, else its message."""
    found = [int(t) for t in re.findall(r"\btoken (\d+)\b", hazard.detail) if int(t) < len(oracle.input_ids)]
    if found:
        return found
    if hazard.message_index is None:
        return []
    turn = next((turn for turn in oracle.turns if turn.message_index == hazard.message_index), None)
    if turn is not None:
        tokens = [t for t, (a, b) in enumerate(oracle.offsets) if a < turn.end and b > turn.start]
    else:
        tokens = _message_tokens(oracle, tokenizer, hazard.message_index, template_kwargs)
    content = oracle.messages[hazard.message_index].get("content")
    if hazard.kind == "control_string" and tokens and isinstance(content, str) and content:
        # the control tokens spelled inside the content (not the template's own, around it)
        from harness.adapters.transformers import special_token_strings

        first, last = oracle.offsets[tokens[0]][0], oracle.offsets[tokens[-1]][1]
        at = oracle.text.find(content, first, last)
        if at >= 0:
            specials = special_token_strings(tokenizer)
            spelled = [t for t in tokens if at <= oracle.offsets[t][0] and oracle.offsets[t][1] <= at + len(content)
                       and oracle.text[oracle.offsets[t][0]:oracle.offsets[t][1]] in specials]
            return spelled or tokens[:1]
    return tokens


def _masker_column(name: str, masker: Callable, oracle, tokenizer, messages, tools, texts, column: int):
    """The masker's column and its failures (properties judged as ``check_masker`` judges them)."""
    from harness.adapters.transformers import decode_token
    from harness.masking.output import MaskerOutputError, normalize_output
    from harness.masking.check import judge_output

    try:
        output = normalize_output(masker([dict(m) for m in messages], [dict(t) for t in tools] if tools else None))
    except (MaskerOutputError, Exception) as error:  # the masker's own bug: shown, not raised
        kind = "output_format" if isinstance(error, MaskerOutputError) else "masker_raised"
        col = Column(name, ["n"] * len(oracle.input_ids), oracle.input_ids, texts, ["other"] * len(texts),
                     note=f"{kind}: {type(error).__name__}: {error}")
        return col, [Finding("failure", kind, str(error), column, [])]
    view, found, _ = judge_output(tokenizer, oracle, output, policy=oracle.policy)
    findings = [Finding("failure", v.property, v.summary, column, list(v.token_indices)) for v in found]
    if output.input_ids == oracle.input_ids:
        col = Column(name, ["y" if t else "n" for t in output.trained], oracle.input_ids, texts, list(oracle.token_roles))
    elif view.input_ids == output.input_ids:  # the same text, its own segmentation: roles line up
        own = [view.text[a:b] if b > a else decode_token(tokenizer, i) for i, (a, b) in zip(output.input_ids, view.offsets)]
        col = Column(name, ["y" if t else "n" for t in output.trained], output.input_ids, own, list(view.token_roles),
                     note="input_ids spell the rendering with other token boundaries: its own tokens")
    else:  # its own tokens, without roles: they do not line up with the rendering
        own = [decode_token(tokenizer, i) for i in output.input_ids]
        col = Column(name, ["y" if t else "n" for t in output.trained], output.input_ids, own, ["other"] * len(own),
                     note="input_ids differ from the tokenized rendering: its own tokens, roles unknown")
    for finding in findings:
        col.flagged.update(t for t in finding.tokens if t < len(col.marks))
    return col, findings


def build_columns(tokenizer, messages, tools=None, *, maskers: Sequence[tuple[str, Callable]] = (), turns: str = "all",
                  template_kwargs: Mapping[str, Any] | None = None):
    """``(columns, findings)``: the oracle's expected column, then one per masker; hazards and failures."""
    from harness.masking.oracle import build_oracle
    from harness.masking.policy import Policy

    oracle = build_oracle(tokenizer, messages, tools, policy=Policy(turns=turns), template_kwargs=template_kwargs)
    texts = _token_texts(oracle, tokenizer)
    columns = [Column("expected (oracle)", _marks_of_oracle(oracle), oracle.input_ids, texts, list(oracle.token_roles))]
    findings = [Finding("hazard", h.kind, h.detail, 0, _hazard_tokens(oracle, tokenizer, h, dict(template_kwargs or {})))
                for h in oracle.hazards]
    for hazard in findings:
        columns[0].flagged.update(hazard.tokens)
    for name, masker in maskers:
        column, found = _masker_column(name, masker, oracle, tokenizer, messages, tools, texts, len(columns))
        columns.append(column)
        findings.extend(found)
    return columns, findings


def _show(text: str) -> str:
    """Token text as shown: HTML-escaped; a newline as a visible ↵ followed by the line break; tabs as →."""
    if text == "":
        return "∅"
    escaped = html.escape(text)
    return escaped.replace("\n", "↵\n").replace("\t", "→\t")


_CSS = """
body{font:14px/1.5 system-ui,sans-serif;margin:1em;color:#111}
h1{font-size:1.3em;margin:.2em 0}
.legend{display:flex;flex-wrap:wrap;gap:.4em 1.2em;align-items:center;margin:.6em 0;padding:.5em;border:1px solid #ccc;
 background:#fafafa;position:sticky;top:0;z-index:2}
.legend .sw{display:inline-block;padding:0 .4em;border-radius:3px;font-family:monospace;opacity:1}
.findings{margin:.5em 0;padding-left:1.2em}.findings li{margin:.2em 0}
.findings .hazard b{color:#8a5a00}.findings .failure b{color:#b00000}
.findings a{font-family:monospace;margin-right:.3em}
.cols{display:grid;gap:1em;align-items:start}
.col{min-width:0;border:1px solid #ccc;border-radius:4px;padding:.5em}
.col h2{font-size:1em;margin:0 0 .4em;position:sticky;top:3.2em;background:#fff;z-index:1;padding:.2em 0}
.col .note{color:#b00000;font-size:.9em}
.tokens{font:13px/1.9 ui-monospace,Menlo,Consolas,monospace;white-space:pre-wrap;overflow-wrap:anywhere}
.t{border-radius:2px;padding:0 1px;margin:0 1px 0 0;opacity:.7}
.t.y{opacity:1;text-decoration:underline;text-decoration-thickness:3px;text-underline-offset:3px;font-weight:600}
.t.e{opacity:1;text-decoration:underline dashed;text-decoration-thickness:2px;text-underline-offset:3px}
.t.bad{outline:2px solid #d00000}
.t.hl,.t:target{outline:2px solid #0050d0;opacity:1}
"""

_JS = """
(function(){
  document.querySelectorAll('.col').forEach(function(col){
    var n = col.querySelectorAll('.t.y').length, e = col.querySelectorAll('.t.e').length;
    var total = col.querySelectorAll('.t').length;
    col.querySelector('.count').textContent = n + ' trained' + (e ? ', ' + e + ' either' : '') + ' of ' + total + ' tokens';
    col.dataset.trained = n;
  });
  var lit = [];
  document.addEventListener('mouseover', function(ev){
    var t = ev.target.closest && ev.target.closest('.t');
    lit.forEach(function(x){x.classList.remove('hl')}); lit = [];
    if(!t) return;
    document.querySelectorAll('.t[data-i="' + t.dataset.i + '"]').forEach(function(x){x.classList.add('hl'); lit.push(x)});
  });
  // what a reader gets: no sideways scrolling, token text at a readable size
  var root = document.documentElement, first = document.querySelector('.t');
  document.body.dataset.overflowX = root.scrollWidth > root.clientWidth ? '1' : '0';
  document.body.dataset.tokenFontPx = first ? parseFloat(getComputedStyle(first).fontSize) : 0;
  document.body.dataset.ready = '1';
})();
"""


def render_html(columns: Sequence[Column], findings: Sequence[Finding], *, title: str) -> str:
    mark_words = {"y": "trained", "n": "not trained", "e": "either"}
    present = {r for c in columns for r in c.roles}
    roles = [r for r in ROLE_COLORS if r in present] + sorted(present - set(ROLE_COLORS))
    role_css = "".join(f".r-{re.sub(r'[^a-z0-9_-]', '_', r)}{{background:{ROLE_COLORS.get(r, OTHER_COLOR)}}}" for r in roles)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}{role_css}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<div class='legend' id='legend'><b>Legend</b>",
    ]
    for role in roles:
        css = re.sub(r"[^a-z0-9_-]", "_", role)
        parts.append(f"<span class='sw r-{css}' data-role='{html.escape(role)}'>{html.escape(role)}</span>")
    parts.append("<span class='sw t y' style='background:#fff'>trained</span>"
                 "<span class='sw t e' style='background:#fff'>either (straddles a boundary)</span>"
                 "<span class='sw t' style='background:#fff'>not trained</span>"
                 "<span class='sw t bad' style='background:#fff'>hazard / failure</span>"
                 "<span>hover: index, id, text, role</span></div>")
    hazards = [f for f in findings if f.kind == "hazard"]
    failures = [f for f in findings if f.kind == "failure"]
    parts.append(f"<p id='summary'>{len(columns[0].marks)} tokens · {len(failures)} failure(s) · "
                 f"{len(hazards)} hazard(s)</p>")
    if findings:
        parts.append("<ul class='findings' id='findings'>")
        for f in failures + hazards:
            col = columns[f.column].title
            links = " ".join(f"<a href='#c{f.column}-t{t}'>#{t}</a>" for t in f.tokens[:MAX_LINKS])
            more = f" (+{len(f.tokens) - MAX_LINKS} more)" if len(f.tokens) > MAX_LINKS else ""
            parts.append(f"<li class='{f.kind}'><b>{f.kind} [{html.escape(f.name)}]</b> in <i>{html.escape(col)}</i>: "
                         f"{html.escape(f.detail[:400])} {links}{more}</li>")
        parts.append("</ul>")
    parts.append(f"<div class='cols' style='grid-template-columns:repeat({len(columns)},minmax(0,1fr))'>")
    for k, column in enumerate(columns):
        parts.append(f"<section class='col' id='c{k}' data-title='{html.escape(column.title, quote=True)}'>"
                     f"<h2>{html.escape(column.title)} · <span class='count'></span></h2>")
        if column.note:
            parts.append(f"<p class='note'>{html.escape(column.note)}</p>")
        parts.append("<div class='tokens'>")
        spans = []
        for i, (mark, token_id, text, role) in enumerate(zip(column.marks, column.token_ids, column.texts, column.roles)):
            css = re.sub(r"[^a-z0-9_-]", "_", role)
            bad = " bad" if i in column.flagged else ""
            hover = html.escape(f"#{i} id {token_id} {json.dumps(text, ensure_ascii=False)} · {role} · {mark_words[mark]}",
                                quote=True)
            spans.append(f"<span class='t {mark} r-{css}{bad}' id='c{k}-t{i}' data-i='{i}' data-id='{token_id}' "
                         f"title='{hover}'>{_show(text)}</span>")
        parts.append("".join(spans))
        parts.append("</div></section>")
    parts.append(f"</div><script>{_JS}</script></body></html>")
    return "".join(parts)


def write_report(path: str | Path, tokenizer, messages, tools=None, *, maskers: Sequence[tuple[str, Callable]] = (),
                 turns: str = "all", template_kwargs: Mapping[str, Any] | None = None) -> str:
    """Write the page to ``path``; returns a one-line summary (tokens, trained per column, failures)."""
    columns, findings = build_columns(tokenizer, messages, tools, maskers=maskers, turns=turns,
                                      template_kwargs=template_kwargs)
    name = str(getattr(tokenizer, "name_or_path", "tokenizer"))
    Path(path).write_text(render_html(columns, findings, title=f"{name}: {len(messages)} messages"), encoding="utf-8")
    trained = ", ".join(f"{c.title}: {c.marks.count('y')} trained" for c in columns)
    failures = sum(1 for f in findings if f.kind == "failure")
    return f"{len(columns[0].marks)} tokens; {trained}; {failures} failure(s)"
