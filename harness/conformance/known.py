"""The findings registry: what each trainer's ``harness/adapters/<trainer>/findings.toml`` declares.

One ``[[finding]]`` table per finding (the schema: slug, title, trainer, version, kind, upstream, upstream_status,
fixed_in, option, configurations, templates, classes, content_control_tokens, report, reproduction, requirements,
tokenizer, expect; for what the check at the loss shows: loss_configurations, loss_classes). ``load_findings(
trainer=None)`` reads and validates them; a bad file or entry raises ``FindingsError`` naming the file, the entry and
what is wrong. The conformance table explains each failure class of a cell with the findings whose
``configurations``, ``templates`` and ``classes`` cover it (``Finding.explains``); the loss table's rows name their
findings (``LossConfiguration.known``), whose ``loss_configurations`` name those rows and whose ``loss_classes`` the
check-at-the-loss failure keys they account for.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

KINDS = ("defect", "convention", "known-upstream", "fixed-upstream")
ADAPTERS_DIR = Path(__file__).resolve().parents[1] / "adapters"
FINDINGS_FILE = "findings.toml"
UPSTREAM_URL = re.compile(r"^https://github\.com/[\w.-]+/[\w.-]+/(issues|pull)/(\d+)$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

_STRINGS = ("slug", "title", "trainer", "version", "kind", "upstream_status", "fixed_in", "option", "reproduction",
            "tokenizer")
_LISTS = ("upstream", "configurations", "templates", "classes", "requirements", "expect", "loss_configurations",
          "loss_classes")
_BOOLS = ("content_control_tokens", "report")
_REQUIRED = ("slug", "title", "trainer", "version", "kind", "upstream_status", "configurations", "templates",
             "classes", "content_control_tokens", "report")


class FindingsError(ValueError):
    """A findings.toml that cannot be read, or an entry that breaks the schema."""


@dataclass(frozen=True)
class Finding:
    slug: str
    title: str
    trainer: str  # the PyPI distribution (unsloth: "unsloth_zoo")
    version: str  # the release the mechanism was read at
    kind: str  # defect | convention | known-upstream | fixed-upstream
    upstream_status: str
    configurations: tuple[str, ...]
    templates: tuple[str, ...]
    classes: tuple[str, ...]  # the conformance failure keys it accounts for
    content_control_tokens: bool  # shows only when a content spells the template's control tokens
    report: bool  # docs/findings/<slug>.md exists for it
    upstream: tuple[str, ...] = ()
    fixed_in: str = ""
    option: str = ""
    reproduction: str = ""
    requirements: tuple[str, ...] = ()
    tokenizer: str = ""
    expect: tuple[str, ...] = ()
    loss_configurations: tuple[str, ...] = ()  # the loss-table rows (LossConfiguration names) it shows on
    loss_classes: tuple[str, ...] = ()  # the check-at-the-loss failure keys it accounts for there
    adapter: str = ""  # the adapter folder it was read from: harness/adapters/<adapter>/findings.toml
    source: str = ""  # that file

    @property
    def report_path(self) -> str:
        """The report's path from the repository root ("" without a report)."""
        return f"docs/findings/{self.slug}.md" if self.report else ""

    @property
    def upstream_numbers(self) -> list[tuple[str, str]]:
        """(``#N``, url) of each cited upstream issue or pull request."""
        return [("#" + UPSTREAM_URL.match(url).group(2), url) for url in self.upstream]

    def explains(self, *, adapter: str, release: str, configuration: str, template: str, failure: str,
                 control_only: bool) -> bool:
        """Whether this finding accounts for failure class ``failure`` of that cell. A finding that shows only with
        control-token contents does not explain a class that ordinary conversations show."""
        return (self.adapter == adapter and self.version == release and configuration in self.configurations
                and template in self.templates and failure in self.classes
                and (control_only or not self.content_control_tokens))


def _fail(source: str, entry: str, message: str):
    raise FindingsError(f"{source}: {entry}: {message}")


def parse_findings(text: str, *, source: str = "<findings.toml>", adapter: str = "") -> list[Finding]:
    """The findings of one findings.toml's text (``source`` names it in errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FindingsError(f"{source}: not valid TOML ({error})") from None
    unknown_top = sorted(set(data) - {"finding"})
    if unknown_top:
        raise FindingsError(f"{source}: unknown top-level keys {unknown_top} (each finding is a [[finding]] table)")
    entries = data.get("finding", [])
    if not isinstance(entries, list):
        raise FindingsError(f"{source}: 'finding' must be an array of tables ([[finding]])")
    return [_finding(entry, source, f"finding {k + 1}", adapter) for k, entry in enumerate(entries)]


def _finding(entry: Mapping, source: str, where: str, adapter: str) -> Finding:
    if not isinstance(entry, Mapping):
        _fail(source, where, "must be a table")
    if isinstance(entry.get("slug"), str):
        where = f"{where} ({entry['slug']!r})"
    known = set(_STRINGS) | set(_LISTS) | set(_BOOLS)
    unknown = sorted(set(entry) - known)
    if unknown:
        _fail(source, where, f"unknown keys {unknown}")
    missing = [key for key in _REQUIRED if key not in entry]
    if missing:
        _fail(source, where, f"missing keys {missing}")
    for key in _STRINGS:
        if key in entry and not isinstance(entry[key], str):
            _fail(source, where, f"{key} must be a string, got {entry[key]!r}")
    for key in _LISTS:
        if key in entry and (not isinstance(entry[key], list) or not all(isinstance(v, str) and v for v in entry[key])):
            _fail(source, where, f"{key} must be a list of non-empty strings, got {entry[key]!r}")
    for key in _BOOLS:
        if not isinstance(entry[key], bool):
            _fail(source, where, f"{key} must be true or false, got {entry[key]!r}")
    values = {key: tuple(value) if key in _LISTS else value for key, value in entry.items()}
    finding = Finding(**values, adapter=adapter, source=source)
    _check(finding, source, where)
    return finding


def _check(f: Finding, source: str, where: str) -> None:
    if not SLUG.match(f.slug):
        _fail(source, where, f"slug must be lower-case words joined by '-', got {f.slug!r}")
    for key in ("title", "trainer", "version", "upstream_status"):
        if not getattr(f, key).strip():
            _fail(source, where, f"{key} must not be empty")
    if f.kind not in KINDS:
        _fail(source, where, f"kind must be one of {list(KINDS)}, got {f.kind!r}")
    bad = [url for url in f.upstream if not UPSTREAM_URL.match(url)]
    if bad:
        _fail(source, where, f"upstream entries must be https://github.com/OWNER/REPO/issues/N or .../pull/N, got {bad}")
    if f.kind == "known-upstream" and not f.upstream:
        _fail(source, where, "kind 'known-upstream' cites at least one upstream issue or pull request")
    if f.kind == "fixed-upstream" and not (f.upstream and f.fixed_in.strip()):
        _fail(source, where, "kind 'fixed-upstream' cites the fixing pull request (upstream) and the release "
                             "(fixed_in)")
    if f.fixed_in and f.kind != "fixed-upstream":
        _fail(source, where, f"fixed_in is for kind 'fixed-upstream' only (kind is {f.kind!r})")
    if f.kind == "convention" and not f.option.strip():
        _fail(source, where, "kind 'convention' names the documented option or convention that produces it (option)")
    if f.kind == "defect" and not f.report:
        _fail(source, where, "kind 'defect' has a report (report = true); a duplicate is 'known-upstream'")
    if f.classes and not (f.configurations and f.templates):
        _fail(source, where, "a finding with classes names the configurations and templates it shows on")
    if bool(f.loss_classes) != bool(f.loss_configurations):
        _fail(source, where, "loss_classes and loss_configurations go together: the check-at-the-loss failure keys "
                             "and the loss-table rows they show on")


def findings_files(adapters_dir: Path = ADAPTERS_DIR) -> dict[str, Path]:
    """``{adapter folder: its findings.toml}`` for every adapter that has one."""
    return {path.parent.name: path for path in sorted(adapters_dir.glob(f"*/{FINDINGS_FILE}"))}


def load_findings(trainer: str | None = None, *, adapters_dir: Path = ADAPTERS_DIR) -> list[Finding]:
    """Every finding (of adapter folder ``trainer`` only, if given), validated; slugs unique across the files."""
    files = findings_files(adapters_dir)
    if trainer is not None:
        files = {trainer: files[trainer]} if trainer in files else {}
    found: list[Finding] = []
    for adapter, path in files.items():
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as error:
            raise FindingsError(f"{path}: cannot be read ({error})") from None
        found += parse_findings(text, source=str(path), adapter=adapter)
    _check_unique(found)
    return found


def _check_unique(findings: Iterable[Finding]) -> None:
    seen: dict[str, str] = {}
    for finding in findings:
        if finding.slug in seen:
            raise FindingsError(f"{finding.source}: slug {finding.slug!r} is declared twice (also in "
                                f"{seen[finding.slug]})")
        seen[finding.slug] = finding.source
