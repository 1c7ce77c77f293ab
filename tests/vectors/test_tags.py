"""Vector tags and the schema version (vectors/tags.py, vectors/README.md "Tags"): a runner
skips precisely by tag, reads big chain ids as strings and refuses an unknown format."""

import json
from typing import Any

from erc8128_vectors.common import SCHEMA_VERSION, VECTORS_DIR
from erc8128_vectors.tags import MAX_SAFE_INTEGER, TAGS, annotate

_FILES = sorted(p for p in VECTORS_DIR.glob("*.json") if p.name != "published_ids.json")


def _tests() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in _FILES:
        for group in json.loads(path.read_text("utf-8"))["testGroups"]:
            found += [(path.name, test) for test in group["tests"]]
    return found


def test_every_file_has_the_schema_version() -> None:
    for path in _FILES:
        assert json.loads(path.read_text("utf-8"))["schemaVersion"] == SCHEMA_VERSION, path.name


def test_every_tag_is_defined_and_documented() -> None:
    readme = (VECTORS_DIR / "README.md").read_text("utf-8")
    for name, test in _tests():
        assert set(test["tags"]) <= TAGS.keys(), (name, test["tcId"])
        fidelity = [t for t in test["tags"] if t.startswith("fidelity:")]
        assert ("fidelity" in test["tags"]) == bool(fidelity), (name, test["tcId"])
    for tag in TAGS:
        assert f"`{tag}`" in readme, tag


def test_chain_ids_as_decimal_strings_match_the_numbers() -> None:
    big = 0
    for name, test in _tests():
        decimal = test.get("chain_ids", {})
        if "chain_id" in test:
            assert decimal["chain_id"] == str(test["chain_id"]), (name, test["tcId"])
            big += test["chain_id"] > MAX_SAFE_INTEGER
        if "policy" in test:
            assert decimal["served_chains"] == [str(c) for c in test["policy"]["served_chains"]]
            big += any(c > MAX_SAFE_INTEGER for c in test["policy"]["served_chains"])
        if any(int(c) > MAX_SAFE_INTEGER for c in decimal.get("served_chains", [])) or int(
                decimal.get("chain_id", "0")) > MAX_SAFE_INTEGER:
            assert "bigint" in test["tags"], (name, test["tcId"])
    assert big >= 4  # the 32- and 33-digit ids of keyid.json and verify_request.json


def _request(method: str = "GET", url: str = "https://a.example/x?y=1",
             headers: list[list[str]] | None = None, body_hex: str | None = None
             ) -> dict[str, Any]:
    return {"method": method, "url": url, "headers": headers or [["Host", "a.example"]],
            "body_hex": body_hex}


def test_fidelity_tags_name_what_fetch_cannot_carry() -> None:
    def tags(**request: Any) -> list[str]:
        return annotate("verify_request.json", {}, {"request": _request(**request),
                                                    "result": "invalid"})["tags"]

    assert tags() == []
    assert tags(method="get") == ["fidelity", "fidelity:method"]
    assert tags(method="patch") == []  # fetch keeps the case of methods outside its six
    assert tags(method="TRACE") == ["fidelity", "fidelity:method"]
    assert tags(url="https://a.example/a/../x") == ["fidelity", "fidelity:raw-target"]
    assert tags(url="https://a.example/x y") == ["fidelity", "fidelity:raw-target"]
    assert tags(headers=[["X", "a\r\nb"]]) == ["fidelity", "fidelity:control-characters"]
    assert tags(headers=[["X", "1"], ["x", "2"]]) == ["fidelity", "fidelity:header-repeats"]
    assert tags(body_hex="00") == ["fidelity", "fidelity:body-on-get"]


def test_policy_tags_name_fields_away_from_the_baseline() -> None:
    policy = {"skew_sec": 30, "max_validity_sec": 300, "served_chains": [1],
              "replay": "either", "class_bound": True, "required_components": ["content-type"],
              "content_digest": "required", "denied_principals": [], "not_before": {},
              "invalidated_signatures": [], "honor_mode_eoa": True, "account_state": "no-code",
              "principal_private": True}
    got = annotate("verify_request.json", {}, {"request": _request(), "policy": policy,
                                               "result": "valid"})["tags"]
    assert got == ["policy:class_bound", "policy:content_digest=required",
                   "policy:principal_private", "policy:replay=either",
                   "policy:required_components"]
