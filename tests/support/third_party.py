"""The vendored third-party vectors in vectors/third_party/ (provenance: each PROVENANCE.md)."""

import json
from pathlib import Path
from typing import Any

__all__ = ["THIRD_PARTY", "third_party_json"]

THIRD_PARTY = Path(__file__).resolve().parents[2] / "vectors" / "third_party"


def third_party_json(relative: str) -> Any:
    """The JSON file ``vectors/third_party/<relative>``, decoded from UTF-8."""
    return json.loads((THIRD_PARTY / relative).read_text(encoding="utf-8"))
