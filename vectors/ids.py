"""Stable test-case ids (tcId): the registry ``vectors/published_ids.json``.

A case is identified by its *fingerprint*: a short hash of what it is (its group's type, profile
and comment, and its own comment), not of its bytes, so a case re-generated with new bytes (a
re-signed request, a corrected expected value) keeps its tcId, while a case whose description
changes is a new case. The registry keeps, per file, every tcId ever published with its
fingerprint, and the retired ones with the reason they were retired:

- a known fingerprint gets its published tcId;
- a new fingerprint gets the next tcId of its file (one more than any tcId published or retired);
- a published tcId that no case produces any more stops the generator, unless the registry
  lists it under ``retired`` (written by hand, with a reason); a retired tcId is never reused.

Conformance case ids (``<file stem>/<tcId>``) and expected-failures files therefore stay valid
across releases (vectors/README.md, "Compatibility policy").
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from erc8128.errors import Erc8128Error

__all__ = ["REGISTRY_NAME", "IdRegistry", "fingerprint"]

REGISTRY_NAME: Final = "published_ids.json"
_COMMENT: Final = (
    "Every tcId ever published, per vectors file: published {tcId: fingerprint} and retired "
    "{tcId: {fingerprint, reason}}. Written by generate.py (new ids); retirements are written by "
    "hand. A tcId is never reused. See vectors/ids.py and vectors/README.md."
)

JsonObject = dict[str, Any]


def fingerprint(group: Mapping[str, Any], test: Mapping[str, Any]) -> str:
    """16 hex digits of SHA-256 over [group type, group profile, group comment, test comment]."""
    identity = [group["type"], group.get("profile"), group.get("comment"), test["comment"]]
    return hashlib.sha256(json.dumps(identity, ensure_ascii=True).encode()).hexdigest()[:16]


class IdRegistry:
    """The registry as loaded, plus the ids assigned while generating."""

    def __init__(self, path: Path) -> None:
        self.path = path
        document: JsonObject = (
            json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"files": {}}
        )
        self._files: dict[str, JsonObject] = {
            name: {"published": dict(entry.get("published", {})),
                   "retired": dict(entry.get("retired", {}))}
            for name, entry in document.get("files", {}).items()
        }

    def assign(self, name: str, groups: Sequence[Mapping[str, Any]]) -> list[int]:
        """The tcId of every test of ``groups`` in file order, registering new ones."""
        entry = self._files.setdefault(name, {"published": {}, "retired": {}})
        published: dict[str, str] = entry["published"]
        retired: dict[str, JsonObject] = entry["retired"]
        by_fingerprint = {value: int(key) for key, value in published.items()}
        if len(by_fingerprint) != len(published):
            raise Erc8128Error("vector_id_registry", f"{name}: a fingerprint is published twice")
        used = [int(key) for key in (*published, *retired)]
        next_id = max(used, default=0) + 1
        ids: list[int] = []
        seen: set[str] = set()
        for group in groups:
            for test in group["tests"]:
                key = fingerprint(group, test)
                if key in seen:
                    raise Erc8128Error(
                        "vector_id_registry", f"{name}: two cases share {test['comment']!r}")
                seen.add(key)
                tc_id = by_fingerprint.get(key)
                if tc_id is None:
                    tc_id = next_id
                    next_id += 1
                    published[str(tc_id)] = key
                ids.append(tc_id)
        missing = sorted(int(key) for key, value in published.items()
                         if value not in seen and key not in retired)
        if missing:
            raise Erc8128Error(
                "vector_id_disappeared",
                f"{name}: published tcIds {missing} are produced by no case; restore them or "
                f"retire them (with a reason) in vectors/{REGISTRY_NAME}",
            )
        return ids

    def render(self) -> str:
        files = {
            name: {
                "published": dict(sorted(entry["published"].items(), key=lambda i: int(i[0]))),
                "retired": dict(sorted(entry["retired"].items(), key=lambda i: int(i[0]))),
            }
            for name, entry in sorted(self._files.items())
        }
        return json.dumps({"comment": _COMMENT, "files": files}, indent=2,
                          ensure_ascii=True) + "\n"
