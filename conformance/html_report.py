"""``--html FILE``: the grouped report as one static page (no script, no external resource).

The same content as the terminal report and ``--report-json``: the header, the verdict, what to
fix first (root causes by level group), the level groups, the per-operation table, then every
failure and declared deviation under its root cause, each with ``why``, ``input``, ``expected``
and ``got`` in a ``<details>`` element (it opens without JavaScript), and the sign_request cases
whose canonical form differs. Every text from the vectors or the adapter is HTML-escaped.
"""

import html
import json
from collections.abc import Sequence
from typing import Any, Final

from erc8128_conformance.grouping import GROUP_TITLES, Summary, coverage_line
from erc8128_conformance.report import CaseOutcome, format_table

__all__ = ["render_html"]

_STYLE: Final = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 80em; color: #111; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; }
table { border-collapse: collapse; table-layout: auto; max-width: 100%; }
td, th { border: 1px solid #bbb; padding: .25em .5em; vertical-align: top; text-align: left; }
td { overflow-wrap: break-word; } th { white-space: nowrap; }
td.where { max-width: 30em; } td.why { min-width: 22em; max-width: 36em; font-size: .9em;
  overflow-wrap: anywhere; }
pre { white-space: pre-wrap; word-break: break-all; background: #f5f5f5; padding: .5em; }
.verdict { font-size: 1.2em; font-weight: bold; padding: .5em; border: 2px solid; }
.pass { border-color: #2a7; } .fail { border-color: #c33; } .declared { border-color: #c80; }
.group-errored, .group-text { background: #fde8e8; } .group-recommendation { background: #fff4e0; }
.group-decision { background: #eef3fb; } .group-reason { background: #f3f3f3; }
.group-unclassified { background: #fafafa; }
"""
_DETAIL_LIMIT: Final = 4000


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=1)
    if len(text) > _DETAIL_LIMIT:
        text = text[:_DETAIL_LIMIT] + f"\n... ({len(text)} characters)"
    return text


def _verdict_class(summary: Summary) -> str:
    if not summary.success:
        return "fail"
    return "pass" if summary.verdict == "PASS" else "declared"


def _case_details(outcome: CaseOutcome) -> str:
    parts = [f"<details><summary><code>{_e(outcome.case_id)}</code> ({_e(outcome.outcome)})"
             f"{': ' + _e(outcome.why.splitlines()[0][:200]) if outcome.why else ''}</summary>"]
    if outcome.outcome == "xfail":
        parts.append(f"<p>declared: {_e(outcome.message)}</p>")
    fields = [("why", outcome.why or outcome.message)]
    for key in ("input", "expected", "got"):
        if key in outcome.details:
            fields.append((key, _json(outcome.details[key])))
    for key, value in fields:
        parts.append(f"<p><b>{_e(key)}</b></p><pre>{_e(value)}</pre>")
    parts.append("</details>")
    return "".join(parts)


def render_html(
    summary: Summary,
    header: Sequence[tuple[str, str]],
    outcomes: Sequence[CaseOutcome],
    list_errors: Sequence[str] = (),
) -> str:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<title>ERC-8128 conformance report</title>", f"<style>{_STYLE}</style></head><body>",
           "<h1>ERC-8128 conformance report</h1>", "<table>"]
    for label, value in header:
        out.append(f"<tr><th>{_e(label)}</th><td>{_e(value)}</td></tr>")
    out.append("</table>")
    out.append(f'<p class="verdict {_verdict_class(summary)}">{_e(summary.verdict)}</p>')
    if summary.tiers:
        out.append(f"<p>verdict: {_e(summary.tiers)}</p>")
    coverage = coverage_line(summary)
    if coverage:
        out.append(f"<p>{_e(coverage)}</p>")
    for error in list_errors:
        out.append(f"<p>ERROR: {_e(error)}</p>")
    if summary.causes:
        out.append("<h2>What to fix first</h2><table><tr><th>#</th><th>level</th><th>rule</th>"
                   "<th>where</th><th>failing</th><th>declared</th><th>examples</th>"
                   "<th>why (first example)</th></tr>")
        for number, cause in enumerate(summary.causes, 1):
            requirement = cause.requirement
            d42 = "; applied to legacy by SPEC.md D42" if (
                requirement is not None and cause.group == "decision"
                and requirement.kind == "profile") else ""
            where = (f"{_e(requirement.ref)} ({_e(requirement.level)}{d42})"
                     + (f"<br><q>{_e(requirement.quote)}</q>" if requirement.quote else "")
                     if requirement else "")
            out.append(
                f'<tr class="group-{_e(cause.group)}"><td>{number}</td>'
                f"<td>{_e(GROUP_TITLES[cause.group])}</td><td><a href=\"#cause-{number}\">"
                f"<code>{_e(cause.title or cause.key)}</code></a></td>"
                f'<td class="where">{where}</td>'
                f"<td>{cause.failed}</td>"
                f"<td>{cause.declared}</td><td>{_e(', '.join(cause.examples))}</td>"
                f'<td class="why">{_e(cause.why)}</td></tr>'
            )
        out.append("</table><h2>By level</h2><table><tr><th>level</th><th>failing</th>"
                   "<th>declared</th></tr>")
        for group, (failed, declared) in summary.groups.items():
            out.append(f'<tr class="group-{_e(group)}"><td>{_e(GROUP_TITLES[group])}</td>'
                       f"<td>{failed}</td><td>{declared}</td></tr>")
        out.append("</table>")
    if summary.acceptable:
        out.append("<h2>Our decision, not the text's</h2><p>Acceptable: the text's outcome "
                   "passes too; <code>--strict</code> requires ours.</p><table><tr>"
                   "<th>decision</th><th>the text</th><th>why ours</th><th>ours</th>"
                   "<th>the text's</th><th>cases</th></tr>")
        for entry in summary.acceptable:
            decision, text = entry.decision, entry.text
            out.append(
                f"<tr><td>{_e(decision.ref if decision else '')}<br><q>"
                f"{_e(decision.quote if decision else '')}</q></td><td>"
                f"{_e(text.ref if text else '')}<br><q>{_e(text.quote if text else '')}</q>"
                f"</td><td>{_e(entry.why)}</td><td>{entry.ours}</td><td>{entry.texts}</td>"
                f"<td>{_e(', '.join(entry.case_ids[:5]))}</td></tr>")
        out.append("</table>")
    out.append(f"<h2>Per operation</h2><pre>{_e(format_table(outcomes))}</pre>")
    if summary.causes:
        out.append("<h2>Cases by root cause</h2>")
        by_id = {outcome.case_id: outcome for outcome in outcomes}
        for number, cause in enumerate(summary.causes, 1):
            out.append(f'<h3 id="cause-{number}">{number}. '
                       f"<code>{_e(cause.title or cause.key)}</code> "
                       f"({_e(GROUP_TITLES[cause.group])})</h3>")
            out.extend(_case_details(by_id[case_id]) for case_id in cause.case_ids
                       if case_id in by_id)
    if summary.canonical:
        out.append("<h2>Canonical form differs (not failures)</h2>"
                   "<p>These sign_request outputs verify and sign what the profile requires; "
                   "only their bytes differ from the reference's.</p>")
        for outcome in summary.canonical:
            out.append(f"<details><summary><code>{_e(outcome.case_id)}</code></summary>"
                       f"<pre>{_e(outcome.canonical)}</pre></details>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
