"""The upgrade guard: ``python -m harness guard`` runs the tests under other released library versions.

For each version set (``versions``) it builds or reuses an environment over the running one (``environments``,
uv; a set without requirements, or one that resolves to what is installed, is the running environment), runs
``pytest -m cpu`` there, optionally narrowed with ``-k`` (``results``), then prints the installed versions, a
version-set x test table and the golden files' token rows that differ from the first set (``report``).
Exit status: 0 all sets alike, 1 a set's outcomes differ from the first set's, 2 a set could not be built (or none).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DEFAULT_OUT = Path("harness-reports") / "guard"
INSTALLED = "installed"  # the set without requirements: the running environment as installed


def default_marker(repo: Path) -> str | None:
    """``cpu`` for the harness's own tests (its CI tier); a host repository's tests run unfiltered."""
    return "cpu" if (Path(repo) / "harness" / "guard" / "default_sets.toml").is_file() else None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from harness.guard.environments import DEFAULT_CACHE_DIR
    from harness.guard.versions import DEFAULT_SETS_FILE

    parser.add_argument("--sets", type=Path, help=f"TOML file of [[set]] tables (default: {DEFAULT_SETS_FILE.name} "
                        "shipped with the harness, used when no --set is given)")
    parser.add_argument("--set", dest="specs", action="append", default=[], metavar="SPEC",
                        help="a version set: 'name: trl==1.14.2 transformers==5.20.2' (repeatable; name optional)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME", help="run only these sets by name")
    parser.add_argument("-k", dest="keyword", help="pytest -k expression: run a subset of the tests")
    parser.add_argument("-m", dest="marker", default=None,
                        help="pytest -m expression (default: cpu for the harness's own tests, none for another repo)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE_DIR, help="where environments are cached")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="per-set pytest logs, JUnit XML, golden files")
    parser.add_argument("--repo", type=Path, default=Path.cwd(),
                        help="the repository whose tests run (default: .): the harness's or your own")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per set's pytest run")
    parser.add_argument("--all-rows", action="store_true", help="print every test, not only those that differ")
    parser.add_argument("--golden-rows", type=int, default=40, metavar="N",
                        help="changed golden rows printed per file and set (default 40; all are in --out)")
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")


def chosen_sets(args: argparse.Namespace):
    from harness.guard.versions import DEFAULT_SETS_FILE, VersionSet, VersionSetError, load_sets, parse_set_spec

    sets = [parse_set_spec(spec) for spec in args.specs]
    if args.sets or not sets:
        sets = load_sets(args.sets or DEFAULT_SETS_FILE) + sets
    elif INSTALLED not in {s.name for s in sets}:
        sets = [VersionSet(INSTALLED, ()), *sets]  # --set alone: compared with what is installed
    if args.only:
        unknown = set(args.only) - {s.name for s in sets}
        if unknown:
            raise VersionSetError(f"--only names no set: {sorted(unknown)}; sets: {[s.name for s in sets]}")
        sets = [s for s in sets if s.name in args.only]
    return sets


def run(args: argparse.Namespace, out=print) -> int:
    from harness.guard.environments import REPORTED_PACKAGES, build_environment
    from harness.guard.report import golden_differences, render_table, render_versions
    from harness.guard.results import parse_junit, run_pytest
    from harness.guard.running import EnvironmentBuildError
    from harness.guard.versions import RENDERERS_NOTE, VersionSetError

    try:
        sets = chosen_sets(args)
    except VersionSetError as error:
        print(f"guard: {error}", file=sys.stderr)
        return 2
    repo = args.repo.resolve()
    marker = args.marker if args.marker is not None else default_marker(repo)
    out(f"note: {RENDERERS_NOTE}.")
    names, versions, outcomes, folders, identical, unbuilt = [], {}, {}, {}, {}, []
    ran_installed = None  # the set that ran the running environment itself, if any
    for version_set in sets:
        try:
            env = build_environment(version_set, repo, args.cache_dir, log=out)
        except (VersionSetError, EnvironmentBuildError) as error:
            out(f"[{version_set.name}] cannot build: {error}")
            unbuilt.append(version_set.name)
            continue
        resolved = " ".join(f"{p}=={env.versions.get(p)}" for p in ("trl", "transformers") if env.versions.get(p))
        if env.identical and ran_installed is not None:
            out(f"[{version_set.name}] resolved to {resolved}: identical to {ran_installed!r}, not run again")
            identical[version_set.name] = ran_installed
            versions[version_set.name] = env.versions
            continue
        out(f"[{version_set.name}] resolved to {resolved}" + (f" (installs {' '.join(env.installed)})"
                                                              if env.installed else " (the running environment)"))
        if env.identical:
            ran_installed = version_set.name
        folder = (args.out / version_set.name).resolve()
        out(f"[{version_set.name}] pytest in {repo}" + (f" -m {marker!r}" if marker else "")
            + (f" -k {args.keyword!r}" if args.keyword else "") + " ...")
        code, junit = run_pytest(env.python, repo, folder, marker=marker, keyword=args.keyword,
                                 extra=args.pytest_args, timeout=args.timeout, env=env.env)
        results = parse_junit(junit)
        if not results:
            out(f"[{version_set.name}] pytest exited {code} with no results: see {folder / 'pytest.log'}")
        names.append(version_set.name)
        versions[version_set.name], outcomes[version_set.name], folders[version_set.name] = env.versions, results, folder
    if not names:
        return 2
    shown = list(versions)
    header = {n: (f"{n} (= {identical[n]})" if n in identical else n) for n in shown}
    out("\nversions installed:\n" + render_versions([header[n] for n in shown], {header[n]: versions[n] for n in shown},
                                                     REPORTED_PACKAGES))
    out("\ntests (pass / FAIL / xfail / XPASS = a strict xfail now passes / skip / - = not collected):\n"
        + render_table(names, outcomes, changed_only=not args.all_rows))
    for name, same in identical.items():
        out(f"{name}: identical to {same} (same versions), not run again")
    baseline = names[0]
    for name in names[1:]:
        for file_name, diff in golden_differences(folders[baseline] / "golden", folders[name] / "golden"):
            rows = diff.splitlines()
            more = len(rows) - args.golden_rows
            shown_rows = "\n".join(rows[:args.golden_rows]) + (f"\n... {more} more line(s)" if more > 0 else "")
            out(f"\ngolden {file_name}: {name} vs {baseline} (- {baseline}, + {name})\n{shown_rows}")
    if unbuilt:
        out(f"\nnot built (see above): {', '.join(unbuilt)}")
        return 2
    changed = any(outcomes[n] != outcomes[baseline] for n in names[1:])
    return 1 if changed else 0
