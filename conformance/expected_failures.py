"""The ``--expected-failures`` file: case ids an implementation is known to fail, with why.

A JSON list of ``{"id", "reason", "spec_sentence"}`` objects (schema:
``schema/expected-failures.schema.json``); ``id`` is a case id (``verify_request/17``), ``reason``
says what the implementation does instead, ``spec_sentence`` quotes the rule it breaks. Optional
``deviation`` names the matching entry of an adapter's own deviation catalogue.

The list is checked both ways: a listed case that passes fails the run ("expected failure now
passes"), and so does a failure that is not listed. An id that names no case at all is an error
of the list itself.

Every adapter keeps its lists in one layout (``adapters/expected_failures_writer.py``):

- ``adapters/<adapter>-expected-failures.json``: the vectors through the adapter;
- ``adapters/<adapter>-live-expected-failures.json``: live mode against the SDK's server;
- ``adapters/<adapter>-native-expected-failures.json``: a native runner's own additions;
- ``adapters/<adapter>/make_expected_failures.py``: the script that writes the first.

Every entry must explain itself (SPEC.md D48): an ``id`` of the form ``<vectors file>/<tcId>``
and a ``reason`` and ``spec_sentence`` that are real text. A placeholder ("see report", "TODO",
"TBD", "...", a single word) is refused: a list of placeholders would turn every failure into a
"declared deviation" without saying anything.
"""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["ExpectedFailure", "ExpectedFailuresError", "load_expected_failures"]

_REQUIRED: Final = ("id", "reason", "spec_sentence")
_ALLOWED: Final = frozenset({*_REQUIRED, "deviation"})
# A case id: the vectors file stem, then the tcId path (e.g. verify_request/17, sf/number/3/parse).
_CASE_ID: Final = re.compile(r"[a-z0-9_-]+(?:/[A-Za-z0-9_.-]+)+")
# Text that stands for an explanation without being one.
_PLACEHOLDER: Final = re.compile(
    r"see (?:the )?(?:report|above|below|output|log)|\b(?:todo|tbd|fixme|xxx+|placeholder|"
    r"lorem ipsum)\b|^\W*(?:n/?a|none|unknown|null|reason|failure|fails|failed|bug|-|\?)?\W*$",
    re.IGNORECASE,
)
_MIN_WORDS: Final = 3


class ExpectedFailuresError(Exception):
    """The expected-failures file is not a valid list."""


@dataclass(frozen=True)
class ExpectedFailure:
    case_id: str
    reason: str
    spec_sentence: str
    deviation: str | None = None


def load_expected_failures(path: Path) -> dict[str, ExpectedFailure]:
    """Read and check the file; the entries by case id."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise ExpectedFailuresError(f"{path}: cannot read a JSON list: {error}") from None
    if not isinstance(entries, list):
        raise ExpectedFailuresError(f"{path}: expected a JSON list, got {type(entries).__name__}")
    by_id: dict[str, ExpectedFailure] = {}
    for position, entry in enumerate(entries):
        where = f"{path}: entry {position}"
        if not isinstance(entry, dict):
            raise ExpectedFailuresError(f"{where}: expected an object, got {entry!r}")
        unknown = sorted(set(entry) - _ALLOWED)
        if unknown:
            raise ExpectedFailuresError(f"{where}: unknown fields {unknown}")
        for key in _REQUIRED:
            value = entry.get(key)
            if not isinstance(value, str) or not value.strip():
                raise ExpectedFailuresError(f"{where}: expected a non-empty string {key!r}")
        if _CASE_ID.fullmatch(entry["id"]) is None:
            raise ExpectedFailuresError(
                f"{where}: expected id as <vectors file>/<tcId> (e.g. verify_request/17), "
                f"got {entry['id']!r}"
            )
        where = f"{where} ({entry['id']})"
        for key, wanted in (("reason", "what the implementation does instead"),
                            ("spec_sentence", "the sentence it departs from, with its section")):
            text = entry[key].strip()
            if _PLACEHOLDER.search(text) or len(text.split()) < _MIN_WORDS:
                raise ExpectedFailuresError(
                    f"{where}: {key} {text[:80]!r} is a placeholder; expected {wanted}"
                )
        deviation = entry.get("deviation")
        if deviation is not None and not isinstance(deviation, str):
            raise ExpectedFailuresError(f"{where}: expected 'deviation' to be a string")
        if entry["id"] in by_id:
            raise ExpectedFailuresError(f"{where}: id {entry['id']!r} is listed twice")
        by_id[entry["id"]] = ExpectedFailure(
            entry["id"], entry["reason"], entry["spec_sentence"], deviation
        )
    return by_id
