"""The level of a failure (SPEC.md D46, D42): one function, used by the grouped report, live
mode, the compatibility page and the HTML report, so no two of them can grade one failure two
ways.

A failure is graded by the text of the profile under test:

- ``text``: it breaks a MUST / MUST NOT of that profile's text, or of an RFC or other standard
  the profile builds on (requirement kind ``profile`` or ``rfc``);
- ``recommendation``: it departs from a SHOULD / SHOULD NOT / MAY of that text;
- ``decision``: it differs from a decision of this project where the text is silent or
  ambiguous (kind ``decision``), or, under the ``legacy`` profile, from a rule of the draft that
  this project applies to legacy where the February text has no sentence of its own (D42: the
  requirement's ``ref`` is the draft's text);
- ``reason``: the accept/reject decision is right, only the reason code or the HTTP status
  differs;
- ``unclassified``: the case names no requirement;
- ``errored``: the adapter (or the server) broke the protocol.
"""

from collections.abc import Mapping
from typing import Any, Final, Literal

from erc8128_conformance.cases import REQUIREMENT_KINDS, Requirement

__all__ = [
    "DRAFT_REF",
    "LEVELS",
    "Level",
    "failure_level",
    "requirement_from_json",
    "run_fails_on",
]

Level = Literal["errored", "text", "recommendation", "unclassified", "decision", "reason"]
# Most severe first: the order of "what to fix first".
LEVELS: Final[tuple[Level, ...]] = (
    "errored", "text", "recommendation", "unclassified", "decision", "reason",
)
DRAFT_REF: Final = "ERC-8128 draft"
_RECOMMENDATION_LEVELS: Final = frozenset({"SHOULD", "SHOULD NOT", "MAY", "RECOMMENDED"})


def failure_level(
    requirement: Requirement | None, *, profile: str, mismatch: str = "", errored: bool = False
) -> Level:
    """The level of one failed (or declared) case.

    ``profile``: the profile under test ("" when the case is profile-independent);
    ``mismatch``: what kind of wrong (``reason`` when only the code or the status differs).
    """
    if errored:
        return "errored"
    if mismatch == "reason":
        return "reason"
    if requirement is None:
        return "unclassified"
    if requirement.kind == "decision":
        return "decision"
    # SPEC.md D42: "in a legacy group, a requirement whose `ref` is the draft's text is this
    # project's choice for legacy, to be judged as a decision".
    if profile == "legacy" and requirement.kind == "profile" and requirement.ref.startswith(
        DRAFT_REF
    ):
        return "decision"
    if requirement.level.upper() in _RECOMMENDATION_LEVELS:
        return "recommendation"
    return "text"


def run_fails_on(level: Level, *, profile: str, strict: bool) -> bool:
    """Whether a failure of ``level`` (not listed as expected) fails the run (issue 21 item 7):
    MUST violations, errors and unclassified failures always; a departure from a SHOULD or a
    project decision only with ``--strict``; a reason code or status only where the profile's
    own text fixes the codes (the draft's §6 table), else with ``--strict`` (legacy takes them
    by decision D1)."""
    if level in ("errored", "text", "unclassified"):
        return True
    if level == "reason":
        return strict or profile == "draft"
    return strict


def requirement_from_json(value: Any, table: Mapping[str, Any] | None = None
                          ) -> Requirement | None:
    """A requirement as a report carries it: inline ``{id, kind, ref, level, quote}``, or an id
    to look up in ``table`` (id → the same object without ``id``)."""
    if isinstance(value, str) and table is not None and isinstance(table.get(value), dict):
        value = {"id": value, **table[value]}
    if not isinstance(value, dict):
        return None
    kind, ref, level = value.get("kind"), value.get("ref", ""), value.get("level")
    if kind not in REQUIREMENT_KINDS or not (isinstance(ref, str) and isinstance(level, str)):
        return None
    quote = value.get("quote")
    return Requirement(str(value.get("id", "")), str(kind), ref, level,
                       quote if isinstance(quote, str) else "")
