"""``docs/compatibility.md``: every implementation the project runs, side by side.

One row per implementation, version, profile and mode (the vectors through an adapter, or live
mode against a server built on it), one column per requirement group, with counts:

- **pass**: the case passed;
- **violates text**: a failure (listed as expected or not) of a MUST / MUST NOT of the profile's
  text or of an RFC it builds on;
- **SHOULD/MAY**: a failure of a recommendation of that text;
- **differs from a decision**: a failure of a project decision (SPEC.md D-number) where the
  texts are silent;
- **reason/status only**: rejected as it must be, with another reason code or HTTP status;
- **unclassified**: a failure whose case names no requirement;
- **unsupported**: not supported by the implementation, or not sent (its adapter's ``hello``
  does not list the operation);
- **errored**: the adapter broke the protocol.

The groups come from the run's own grouped report (``summary`` of ``--report-json``) when the
suite writes one; otherwise :func:`level_group` computes them from each case's requirement and
answer. After the table, the signer × verifier interop matrix (``interop.py``). Written by
``python -m erc8128_conformance.compatibility`` (Node and the pinned
``uvd-x402-sdk`` needed, as for ``./scripts/test``); ``--check`` compares instead of writing
(``tests/conformance/test_compatibility.py``).
"""

import argparse
import importlib.metadata
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from erc8128_conformance.interop import interop_matrix, render_matrix
from erc8128_conformance.judge import ADAPTER_REASONS
from erc8128_conformance.levels import failure_level, requirement_from_json

ROOT: Final = Path(__file__).resolve().parents[1]
OUTPUT: Final = ROOT / "docs" / "compatibility.md"
ADAPTERS: Final = ROOT / "conformance" / "adapters"
VECTORS: Final = ROOT / "vectors"

COLUMNS: Final = (
    ("pass", "pass"),
    ("text", "violates text"),
    ("recommendation", "SHOULD/MAY"),
    ("decision", "differs from a decision"),
    ("reason", "reason/status only"),
    ("unclassified", "unclassified"),
    ("unsupported", "unsupported"),
    ("errored", "errored"),
)
TOP_CAUSES: Final = 5


@dataclass(frozen=True)
class Row:
    implementation: str
    version: str
    profile: str
    mode: str  # "vectors (adapter)" or "live server"
    arguments: tuple[str, ...]  # erc8128 conformance arguments (the target is added for live)
    server: tuple[str, ...] = ()  # live: the command that starts the server
    expected_failures: str | None = None  # repository path, shown in the table


def _slicekit_version() -> str:
    package = ADAPTERS / "slicekit" / "node_modules" / "@slicekit" / "erc8128" / "package.json"
    return str(json.loads(package.read_text(encoding="utf-8"))["version"])


def rows() -> list[Row]:
    ours = importlib.metadata.version("erc8128")
    slicekit = _slicekit_version()
    uvd = importlib.metadata.version("uvd-x402-sdk")
    python = sys.executable
    sk_expected = "conformance/adapters/slicekit-expected-failures.json"
    sk_live_expected = "conformance/adapters/slicekit-live-expected-failures.json"
    uvd_expected = "conformance/adapters/uvd_x402-expected-failures.json"
    uvd_live_expected = "conformance/adapters/uvd_x402-live-expected-failures.json"
    return [
        Row("erc8128 (this project)", ours, "draft", "vectors (adapter)",
            ("--adapter", f"{python} -m erc8128 adapter", "--profile", "draft")),
        Row("erc8128 (this project)", ours, "legacy", "vectors (adapter)",
            ("--adapter", f"{python} -m erc8128 adapter", "--profile", "legacy")),
        Row("erc8128 serve (this project)", ours, "draft", "live server",
            ("--profile", "draft", "--post-path", "/api/projects"),
            (python, "-m", "erc8128", "serve", "--port", "0", "--profile", "both", "--quiet",
             "--no-restart-guard")),
        Row("erc8128 serve (this project)", ours, "legacy", "live server",
            ("--profile", "legacy", "--post-path", "/api/projects"),
            (python, "-m", "erc8128", "serve", "--port", "0", "--profile", "both", "--quiet",
             "--no-restart-guard")),
        Row("@slicekit/erc8128", slicekit, "legacy", "vectors (adapter)",
            ("--adapter", "node conformance/adapters/slicekit/adapter.mjs", "--profile", "legacy",
             "--expected-failures", sk_expected), expected_failures=sk_expected),
        Row("@slicekit/erc8128 (node:http server)", slicekit, "legacy", "live server",
            ("--profile", "legacy", "--post-path", "/api/echo",
             "--expected-failures", sk_live_expected),
            ("node", str(ADAPTERS / "slicekit" / "server.mjs"), "--port", "0"),
            expected_failures=sk_live_expected),
        Row("uvd-x402-sdk", uvd, "legacy", "vectors (adapter)",
            ("--adapter", f"{python} conformance/adapters/uvd_x402/adapter.py", "--profile",
             "legacy", "--expected-failures", uvd_expected), expected_failures=uvd_expected),
        Row("uvd-x402-sdk (http.server)", uvd, "legacy", "live server",
            ("--profile", "legacy", "--post-path", "/api/echo",
             "--expected-failures", uvd_live_expected),
            (python, str(ADAPTERS / "uvd_x402" / "server.py"), "--port", "0"),
            expected_failures=uvd_live_expected),
    ]


# ---- running ------------------------------------------------------------------------------------


@contextmanager
def _server(command: Sequence[str]) -> Iterator[str]:
    process = subprocess.Popen(list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, cwd=ROOT)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"listening on (http://\S+)", line)
        if match is None:
            raise SystemExit(f"{command[0]}: did not start: {line!r}")
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=10)


def run_row(row: Row) -> dict[str, Any]:
    """The ``--report-json`` document of one row's run."""
    with tempfile.TemporaryDirectory() as directory:
        report = Path(directory) / "report.json"
        command = [sys.executable, "-m", "erc8128", "conformance", *row.arguments,
                   "--report-json", str(report)]
        if row.server:
            with _server(row.server) as url:
                subprocess.run([*command, "--target", url], cwd=ROOT, check=False,
                               capture_output=True, timeout=900)
        else:
            subprocess.run(command, cwd=ROOT, check=False, capture_output=True, timeout=900)
        document: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
        return document


# ---- grouping -----------------------------------------------------------------------------------


def vector_requirements(directory: Path = VECTORS) -> dict[str, dict[str, Any]]:
    """Every vector file's ``requirements`` object, merged (ids are unique across files)."""
    merged: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(document, dict) and isinstance(document.get("requirements"), dict):
            merged.update(document["requirements"])
    return merged


def vector_case_requirements(directory: Path = VECTORS) -> dict[str, str]:
    """Case id (``<file stem>/<tcId>``) → the requirement id the vector names."""
    named: dict[str, str] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        groups = document.get("testGroups") if isinstance(document, dict) else None
        for group in groups if isinstance(groups, list) else []:
            for test in group.get("tests", []) if isinstance(group, dict) else []:
                if isinstance(test, dict) and isinstance(test.get("requirement"), str):
                    named[f"{path.stem}/{test.get('tcId')}"] = test["requirement"]
    return named


def _requirement(outcome: Mapping[str, Any], requirements: Mapping[str, Any]
                 ) -> dict[str, Any] | None:
    rule = outcome.get("rule")
    if isinstance(rule, dict):
        return rule  # resolved for the case's profile by the suite
    value = outcome.get("requirement")
    if value is None:
        value = requirements.get("@case:" + str(outcome.get("id")))
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and isinstance(requirements.get(value), dict):
        return {"id": value, **requirements[value]}
    return None


def _reason_only(outcome: Mapping[str, Any]) -> bool:
    """Rejected as the case wants, with another code or status (the judge's typed ``mismatch``;
    for a report without it, a rejection that is not an adapter's own error code)."""
    if "mismatch" in outcome:
        return outcome.get("mismatch") == "reason"
    expected = outcome.get("expected")
    got = outcome.get("got")
    if not isinstance(expected, dict) or not isinstance(got, dict):
        return False
    error = got.get("error")
    return (expected.get("result") == "invalid" and isinstance(error, dict)
            and error.get("reason") not in ADAPTER_REASONS)


def level_group(outcome: Mapping[str, Any], requirements: Mapping[str, Any],
                profile: str = "") -> str:
    """The column of one case (the fallback when the run has no grouped summary): the level
    from :func:`erc8128_conformance.levels.failure_level`, the function the suite's own report
    uses (SPEC.md D88). ``profile``: the profile under test."""
    kind = outcome.get("outcome")
    if kind in ("passed", "xpass"):
        return "pass"
    if kind in ("not_supported", "skipped"):
        return "unsupported"
    profiles = outcome.get("profiles")
    if isinstance(profiles, list):
        # The case's own profile, as the suite's report grades it ("" : profile-independent).
        profile = str(profiles[0]) if len(profiles) == 1 else ""
    return failure_level(
        requirement_from_json(_requirement(outcome, requirements)), profile=profile,
        mismatch="reason" if _reason_only(outcome) else str(outcome.get("mismatch", "")),
        errored=kind == "errored",
    )


def _cause(outcome: Mapping[str, Any], requirements: Mapping[str, Any]) -> str:
    requirement = _requirement(outcome, requirements)
    if requirement is not None:
        return f"{requirement.get('id')} ({requirement.get('level')}, {requirement.get('ref')})"
    expected = outcome.get("expected") if isinstance(outcome.get("expected"), dict) else {}
    assert isinstance(expected, dict)
    want = expected.get("reason") or expected.get("result") or "?"
    return f"{outcome.get('operation')}: expected {want}"


@dataclass(frozen=True)
class RowResult:
    row: Row
    cases: int
    columns: dict[str, int]
    causes: tuple[tuple[str, str, int], ...]  # (group, cause, count), most first
    source: str  # "summary" (the suite's grouped report) or "computed"
    tiers: str = ""  # the suite's tiered verdict (MUSTs / SHOULDs / decisions)


def summarize(row: Row, report: Mapping[str, Any], requirements: Mapping[str, Any]
              ) -> RowResult:
    outcomes = [o for o in report.get("outcomes", []) if isinstance(o, dict)]
    counts: Counter[str] = Counter()
    causes: Counter[tuple[str, str]] = Counter()
    summary = report.get("summary")
    groups = summary.get("groups") if isinstance(summary, dict) else None
    for outcome in outcomes:
        group = level_group(outcome, requirements, row.profile)
        counts[group] += 1
        if group not in ("pass", "unsupported"):
            causes[(group, _cause(outcome, requirements))] += 1
    source = "computed"
    if isinstance(groups, dict):
        # The suite's own grouped report decides the failure columns.
        source = "summary"
        for name in ("text", "recommendation", "decision", "reason", "unclassified", "errored"):
            entry = groups.get(name)
            counts[name] = (int(entry.get("failed", 0)) + int(entry.get("declared", 0))
                            if isinstance(entry, dict) else 0)
    root_causes = summary.get("root_causes") if isinstance(summary, dict) else None
    if isinstance(root_causes, list):
        # The suite's own root causes (its grouping, e.g. a profile-independent case in a
        # legacy run is judged by its rule's level, SPEC.md D42).
        causes = Counter()
        for cause in root_causes:
            if not isinstance(cause, dict) or cause.get("group") not in dict(COLUMNS):
                continue
            requirement = cause.get("requirement")
            key = str(cause.get("title") or cause.get("key"))
            if isinstance(requirement, dict):
                key += f" ({requirement.get('level')}, {requirement.get('ref')})"
            causes[(str(cause["group"]), key)] += (int(cause.get("failed", 0))
                                                   + int(cause.get("declared", 0)))
    order = [name for name, _ in COLUMNS]
    top = sorted(causes.items(), key=lambda item: (order.index(item[0][0]), -item[1],
                                                   item[0][1]))
    tiers = summary.get("tiers") if isinstance(summary, dict) else None
    return RowResult(row, len(outcomes), {name: counts[name] for name, _ in COLUMNS},
                     tuple((group, cause, n) for (group, cause), n in top), source,
                     tiers if isinstance(tiers, str) else "")


# ---- rendering ----------------------------------------------------------------------------------


def render(results: Sequence[RowResult], interop: Sequence[str] = ()) -> str:
    titles = dict(COLUMNS)
    lines = [
        "# Compatibility matrix",
        "",
        "<!-- Written by `python -m erc8128_conformance.compatibility`; "
        "tests/conformance/test_compatibility.py checks it is current. Do not edit by hand. -->",
        "",
        "Every implementation the project runs, through the same vectors (an adapter) or the "
        "same live checks (a server built on it), one column per requirement group "
        "(`conformance/compatibility.py` defines them). A failure counts whether or not it is "
        "listed as an expected failure; \"unsupported\" is never a pass.",
        "",
        "| implementation | version | profile | mode | cases | "
        + " | ".join(title for _, title in COLUMNS) + " |",
        "| --- | --- | --- | --- | ---: | " + " | ".join("---:" for _ in COLUMNS) + " |",
    ]
    for result in results:
        row = result.row
        cells = " | ".join(str(result.columns[name]) for name, _ in COLUMNS)
        lines.append(f"| {row.implementation} | {row.version} | {row.profile} | {row.mode} | "
                     f"{result.cases} | {cells} |")
    lines += ["", "## Verdicts", "",
              "The suite's verdict in tiers for each row (SPEC.md D88): the MUSTs of the "
              "profile under test, the SHOULDs departed from, the project decisions differed "
              "from; expected failures count as failures here.", ""]
    lines += [f"- {result.row.implementation} {result.row.version}, {result.row.profile}, "
              f"{result.row.mode}: {result.tiers}" for result in results if result.tiers]
    lines += ["", "## Top root causes", "",
              f"Per row, the {TOP_CAUSES} largest causes of failure, most severe group first "
              "(a requirement id with its level and source, or the operation and the expected "
              "answer where the case names no requirement).", ""]
    for result in results:
        row = result.row
        if not result.causes:
            continue
        listed = f"; expected failures: `{row.expected_failures}`" if row.expected_failures \
            else ""
        lines.append(f"**{row.implementation} {row.version}, {row.profile}, {row.mode}**"
                     f"{listed}")
        lines.append("")
        for group, cause, count in result.causes[:TOP_CAUSES]:
            lines.append(f"- {titles[group]}: {cause}: {count}")
        lines.append("")
    sources = sorted({result.source for result in results})
    lines.append(
        "Groups: " + (
            "the failure columns are the suite's own grouped report (`--report-json` "
            "`summary.groups`, SPEC.md D46, D42); pass and unsupported are counted from the "
            "outcomes." if sources == ["summary"] else
            "computed from each case's requirement (vectors' `requirements`, live checks' "
            "`requirement`) and answer by `conformance/compatibility.py`."
        )
    )
    if interop:
        lines += ["", *interop]
        while lines[-1] == "":
            lines.pop()
    return "\n".join(lines) + "\n"


def build() -> str:
    requirements: dict[str, Any] = dict(vector_requirements())
    # Reports that do not carry each case's requirement id: read it from the vectors.
    requirements.update({f"@case:{case_id}": rid
                         for case_id, rid in vector_case_requirements().items()})
    results = []
    for row in rows():
        started = time.monotonic()
        report = run_row(row)
        results.append(summarize(row, report, requirements))
        print(f"{row.implementation} {row.profile} {row.mode}: "
              f"{time.monotonic() - started:.0f} s", file=sys.stderr)
    started = time.monotonic()
    interop = render_matrix(interop_matrix())
    print(f"interop matrix: {time.monotonic() - started:.0f} s", file=sys.stderr)
    return render(results, interop)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true",
                        help="compare with docs/compatibility.md instead of writing it")
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print("docs/compatibility.md is out of date: run "
                  "python -m erc8128_conformance.compatibility", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
