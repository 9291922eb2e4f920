"""What a dataset audit writes: the table (text and markdown), the failing rows (JSONL, each with a replay
command), the summary (JSON) and an HTML page with one section per class (the harness's token report of the first
row of each class, its pipeline's labels beside the oracle's)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from harness.audit.dataset import DatasetAudit
from harness.audit.dataset_rows import DatasetRow

# What each class means for training (by property, then by the kind in brackets).
MEANINGS = {
    "no_label_outside_assistant_output[tool result]": "the model is trained to write tool results itself",
    "no_label_outside_assistant_output[user]": "the model is trained to write the user's turns",
    "no_label_outside_assistant_output[system]": "the model is trained to write the system prompt",
    "no_label_outside_assistant_output[assistant header]": "the header the prompt writes is trained (a token the "
                                                           "model never generates at inference)",
    "no_label_outside_assistant_output[glue after the stop token]": "the text after the stop token is trained: the "
                                                                    "model learns to go on after it should stop",
    "no_label_outside_assistant_output": "tokens the model did not generate are trained",
    "assistant_turns_fully_trained": "part of what the model generates is masked: it is never learned",
    "stop_token_trained": "the end-of-turn token is never trained: the model does not learn to stop",
    "some_token_trained": "the row trains nothing: it costs compute and teaches nothing",
    "labels_aligned": "labels are not the tokens at their positions (shifted or rewritten)",
    "input_ids_match_rendering[truncated]": "the row is cut: the turns after the cut are never trained",
    "input_ids_match_rendering[text differs]": "the pipeline trains on other text than the template renders "
                                                "(a rewritten system prompt, dropped tools, an extra token)",
    "input_ids_match_rendering[segmentation]": "tokens split otherwise than at inference: the model is served "
                                                "another segmentation than it was trained on",
    "masker_raised": "the pipeline raises on the row (or drops it): the row is never trained",
    "output_format": "the pipeline's output is not input_ids and labels of one length",
    "template_raises": "the chat template raises on the row: no trainer can render it",
    "tool_call_ids[call without result]": "a tool call no result answers: the conversation the model learns is "
                                          "not one a tool loop produces",
    "tool_call_ids[result without call]": "a tool result that answers no call",
    "control_token_in_content": "a content spells a control token: the rendering holds a stop or header the model "
                                "did not generate there, and pipelines that cut at it mis-train the turn",
    "cut_at_max_length": "the last assistant turn is cut at max_length: its end (the stop token) is never trained",
    "arguments_written_as_string": "tool-call arguments (a JSON string in the data) are written as an escaped JSON "
                                   "string: the model learns to emit a string where the tool parser expects an object",
}


def meaning(key: str) -> str:
    if key in MEANINGS:
        return MEANINGS[key]
    base = key.split("[")[0]
    return MEANINGS.get(base, "")


def format_table(audit: DatasetAudit, *, markdown: bool = False, first: int = 5) -> str:
    """The per-class table (rows affected, share, tokens, first row ids, meaning), then the unjudged rows."""
    lines = []
    if markdown:
        lines += ["| class | rows | share | tokens | first rows | what it means for training |",
                  "|---|---:|---:|---:|---|---|"]
    for summary in audit.classes():
        share = f"{100 * len(summary.rows) / max(1, audit.rows):.1f}%"
        ids = ", ".join(summary.rows[:first]) + (" ..." if len(summary.rows) > first else "")
        if markdown:
            lines.append(f"| `{summary.key}` | {len(summary.rows)} | {share} | {summary.tokens or ''} | {ids} | "
                         f"{meaning(summary.key)} |")
        else:
            lines.append(f"{summary.key:<62} {len(summary.rows):>6} {share:>7} {summary.tokens or '':>8}  rows {ids}")
    if not audit.classes():
        lines.append("(every judged row is trained right)" if not markdown else "| (none) | 0 | 0% | | | |")
    notes = audit.notes()
    if notes:
        text = ", ".join(f"{note} {count}" for note, count in notes.items())
        lines.append(f"| notes (not failures) | {text} | | | | |" if markdown else f"notes (rows; not failures): {text}")
    for reason, ids in audit.unjudged().items():
        shown = ", ".join(ids[:first]) + (" ..." if len(ids) > first else "")
        lines.append((f"| not judged: {reason} | {len(ids)} | | | {shown} | |" if markdown else
                      f"not judged ({len(ids)} rows: {shown}): {reason}"))
    return "\n".join(lines)


def header(audit: DatasetAudit) -> str:
    return (f"audit of {audit.dataset or 'the dataset'}: {audit.rows} rows, {audit.right} trained right, "
            f"{audit.rows - audit.right} not ({'PASSED' if audit.passed else 'FAILED'})\n"
            f"tokenizer {audit.tokenizer} · pipeline {audit.pipeline} · policy {audit.policy or 'default'} · "
            f"clock held at {audit.clock} · {audit.seconds} s with {audit.jobs} process(es)")


def _slug(key: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-").lower()[:80]


def write_outputs(audit: DatasetAudit, rows: list[DatasetRow], out_dir: Path, *, tokenizer_name: str,
                  pipeline_option: str = "", examples: bool = True, masker=None, tokenizer=None) -> dict[str, Path]:
    """``summary.json``, ``failing_rows.jsonl`` (row id, classes, replay command), ``replays/row-<index>.json`` for
    each failing row, ``table.md`` and ``audit.html`` (one section per class; with ``tokenizer`` each class's first
    row as the token report, the pipeline's ``masker`` beside the oracle)."""
    out_dir = Path(out_dir)
    (out_dir / "replays").mkdir(parents=True, exist_ok=True)
    by_index = {row.index: row for row in rows}
    paths = {"summary": out_dir / "summary.json", "failing": out_dir / "failing_rows.jsonl",
             "table": out_dir / "table.md", "html": out_dir / "audit.html"}
    paths["summary"].write_text(json.dumps(audit.to_json(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    paths["table"].write_text(header(audit) + "\n\n" + format_table(audit, markdown=True) + "\n", encoding="utf-8")
    replays: dict[int, str] = {}
    with open(paths["failing"], "w", encoding="utf-8") as handle:
        for verdict in audit.verdicts:
            if verdict.right:
                continue
            row = by_index.get(verdict.index)
            replay = ""
            if row is not None and not row.error:
                path = out_dir / "replays" / f"row-{verdict.index}.json"
                path.write_text(json.dumps({"messages": row.messages, "tools": row.tools, "clock": audit.clock,
                                            "row": {"index": verdict.index, "id": verdict.id}},
                                           ensure_ascii=False, indent=1), encoding="utf-8")
                replay = f"python -m harness inspect --tokenizer {tokenizer_name} {path}{pipeline_option}"
                replays[verdict.index] = replay
            handle.write(json.dumps({"index": verdict.index, "id": verdict.id, "classes": sorted(verdict.classes),
                                     "details": verdict.classes, "unjudged": verdict.unjudged, "replay": replay},
                                    ensure_ascii=False) + "\n")
    paths["html"].write_text(_html(audit, by_index, replays, out_dir, examples=examples, masker=masker,
                                   tokenizer=tokenizer), encoding="utf-8")
    return paths


def _html(audit: DatasetAudit, rows: dict[int, DatasetRow], replays: dict[int, str], out_dir: Path, *,
          examples: bool, masker, tokenizer) -> str:
    from harness.html_report import write_report

    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>dataset audit</title><style>"
             "body{font-family:sans-serif;margin:1.5em;max-width:80em}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}code{background:#f4f4f4}"
             "iframe{width:100%;height:32em;border:1px solid #ccc}</style></head><body>",
             f"<h1>Dataset audit</h1><pre>{html.escape(header(audit))}</pre>",
             "<table id='classes'><tr><th>class</th><th>rows</th><th>share</th><th>tokens</th><th>meaning</th></tr>"]
    summaries = audit.classes()
    for summary in summaries:
        parts.append(f"<tr><td><a href='#{_slug(summary.key)}'><code>{html.escape(summary.key)}</code></a></td>"
                     f"<td>{len(summary.rows)}</td><td>{100 * len(summary.rows) / max(1, audit.rows):.1f}%</td>"
                     f"<td>{summary.tokens or ''}</td><td>{html.escape(meaning(summary.key))}</td></tr>")
    parts.append("</table>")
    verdicts = {v.index: v for v in audit.verdicts}
    for summary in summaries:
        first = verdicts[summary.indices[0]]
        parts.append(f"<section class='class' id='{_slug(summary.key)}'><h2><code>{html.escape(summary.key)}</code>"
                     f" · {len(summary.rows)} row(s)</h2><p>{html.escape(meaning(summary.key))}</p>"
                     f"<p>rows: {html.escape(', '.join(summary.rows[:20]))}{' ...' if len(summary.rows) > 20 else ''}"
                     f"</p><p>first row ({html.escape(first.id)}): "
                     f"{html.escape(first.classes[summary.key]['detail'])}</p>")
        if first.index in replays:
            parts.append(f"<p>replay: <code>{html.escape(replays[first.index])}</code></p>")
        row = rows.get(first.index)
        if examples and tokenizer is not None and row is not None and not row.error:
            page = out_dir / "examples" / f"{_slug(summary.key)}.html"
            page.parent.mkdir(exist_ok=True)
            try:
                write_report(page, tokenizer, row.messages, row.tools,
                             maskers=[("pipeline", masker)] if masker is not None else ())
                parts.append(f"<p><a href='examples/{page.name}'>every token of row {html.escape(first.id)}</a></p>"
                             f"<iframe src='examples/{page.name}' loading='lazy'></iframe>")
            except Exception as error:  # the page is a view; the audit's verdicts stand without it
                parts.append(f"<p>(no token view: {html.escape(type(error).__name__)}: "
                             f"{html.escape(str(error)[:200])})</p>")
        parts.append("</section>")
    unjudged = audit.unjudged()
    if unjudged:
        parts.append("<section id='unjudged'><h2>Rows not judged</h2><ul>")
        for reason, ids in unjudged.items():
            parts.append(f"<li>{len(ids)} row(s) ({html.escape(', '.join(ids[:10]))}): {html.escape(reason)}</li>")
        parts.append("</ul></section>")
    parts.append("</body></html>")
    return "".join(parts)
