"""Requirement data, the single-defect property and the stable tcIds of the vectors.

- every test names one requirement listed in its file, and every ``profile`` / ``decision``
  quote is a verbatim sentence of the vendored text / SPEC.md (whitespace runs collapsed);
- every invalid ``verify_request`` vector verifies once its requirement's rules are switched off
  (vectors/ablation.py: the reference verifier's step table without them), unless it is flagged
  ``NotSingleDefect`` and explained (SPEC.md D39);
- the high-s vectors are real twins (s' = n - s, v' = 55 - v) of a valid signature;
- every tcId ever published is still produced with the same meaning, or retired (D40).
"""

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import _hash_eip191_message, encode_defunct

from erc8128.crypto.secp256k1 import N
from erc8128.errors import Erc8128Error
from erc8128.http.signature_base import signature_base_for_label
from erc8128.protocol.verify import VERIFICATION_STEPS
from erc8128_vectors import VECTORS_DIR
from erc8128_vectors.ablation import without
from erc8128_vectors.generate import run_verify
from erc8128_vectors.ids import REGISTRY_NAME, fingerprint
from erc8128_vectors.requirements import REQUIREMENTS
from erc8128_vectors.sign_request_vectors import SIGNING_CHECK_RULES
from erc8128_vectors.single_defect import NOT_SINGLE_DEFECT

ROOT = VECTORS_DIR.parent
FILES = sorted(path.name for path in VECTORS_DIR.glob("*.json") if path.name != REGISTRY_NAME)
_KEBAB = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


def _load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((VECTORS_DIR / name).read_text(encoding="utf-8"))
    return document


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _verify_invalid() -> list[Any]:
    params = []
    for group in _load("verify_request.json")["testGroups"]:
        for test in group["tests"]:
            if test["result"] == "invalid":
                params.append(pytest.param(group, test, id=f"tc{test['tcId']}"))
    return params


@pytest.mark.parametrize("name", FILES)
def test_every_test_names_a_listed_requirement(name: str) -> None:
    document = _load(name)
    listed = document["requirements"]
    named = {test["requirement"] for group in document["testGroups"] for test in group["tests"]}
    # An acceptable test names the text's rule beside our decision (textOutcome).
    named |= {test["textOutcome"]["requirement"] for group in document["testGroups"]
              for test in group["tests"] if "textOutcome" in test}
    named |= {step["textOutcome"]["requirement"] for group in document["testGroups"]
              for test in group["tests"] for step in test.get("steps", ())
              if "textOutcome" in step}
    if name == "sign_request.json":
        # The rules the signing checks grade a signer's output by (signing_check.CHECK_RULES).
        named |= set(SIGNING_CHECK_RULES)
    assert named == set(listed)
    for key, value in listed.items():
        assert _KEBAB.match(key), key
        assert value == REQUIREMENTS[key].as_json(), key


def test_quotes_are_verbatim() -> None:
    third_party = VECTORS_DIR / "third_party"
    sources = {
        "ERC-8128 draft": _squeeze(
            (third_party / "erc8128-draft" / "erc-8128-362f1a9.md").read_text("utf-8")),
        "ERC-8128 legacy": _squeeze(
            (third_party / "erc8128-published" / "erc-8128-9f6cf39.md").read_text("utf-8")),
    }
    spec = _squeeze((ROOT / "SPEC.md").read_text("utf-8"))
    checked = 0
    for key, requirement in REQUIREMENTS.items():
        if requirement.kind == "profile":
            source = next(text for prefix, text in sources.items()
                          if requirement.ref.startswith(prefix + " "))
            assert _squeeze(requirement.quote) in source, key
            checked += 1
        elif requirement.kind == "decision":
            number = requirement.ref.removeprefix("SPEC.md ")
            assert requirement.level == "DECISION"
            assert f"**{number}**" in spec, key
            start = spec.index(f"**{number}**")
            end = spec.find("- **D", start + 1)
            assert _squeeze(requirement.quote) in spec[start:end if end > 0 else None], key
            checked += 1
    assert checked > 50


@pytest.mark.parametrize(("group", "test"), _verify_invalid())
def test_invalid_verify_vector_has_a_single_defect(group: dict[str, Any],
                                                   test: dict[str, Any]) -> None:
    requirement = REQUIREMENTS[test["requirement"]]
    if NOT_SINGLE_DEFECT in test["flags"]:
        assert test["explanation"].strip()
        return
    assert requirement.ablates, "a rule that cannot be switched off must be flagged"
    assert "explanation" not in test
    # The vector fails with every rule on (also checked by test_vectors.py) ...
    assert run_verify(test, group["profile"])["result"] == "invalid"
    # ... and verifies with exactly its requirement's rules off.
    outcome = run_verify(test, group["profile"], without(requirement.ablates))
    assert outcome["result"] == "valid", outcome.get("reason")


def test_most_invalid_verify_vectors_are_proven_single_defect() -> None:
    invalid = [test for _, test in (p.values for p in _verify_invalid())]
    flagged = [test for test in invalid if NOT_SINGLE_DEFECT in test["flags"]]
    assert len(flagged) * 5 < len(invalid), (len(flagged), len(invalid))


def test_skipping_names_known_rules_and_leaves_the_verifier_alone() -> None:
    with pytest.raises(ValueError, match="RULES"):
        without({"no-such"})
    assert without(set()) == VERIFICATION_STEPS
    assert "nonce-unused" not in without({"nonce-unused"}).names
    assert "nonce-unused" in VERIFICATION_STEPS.names


def _signature(request: dict[str, Any], label: str) -> bytes:
    lines = [value for name, value in request["headers"] if name.lower() == "signature"]
    found = re.findall(rf"(?:^|,)\s*{re.escape(label)}=:([A-Za-z0-9+/=]*):", ", ".join(lines))
    return base64.b64decode(found[-1])


def test_high_s_vectors_are_real_twins() -> None:
    from erc8128_vectors.generate import request_from_json  # noqa: PLC0415

    twins = 0
    for group in _load("verify_request.json")["testGroups"]:
        for test in group["tests"]:
            if "high-s" not in test["comment"]:
                continue
            label = test["label"]
            signature = _signature(test["request"], label)
            s, v = int.from_bytes(signature[32:64], "big"), signature[64]
            assert N // 2 < s < N and v in (27, 28)
            low = signature[:32] + (N - s).to_bytes(32, "big") + bytes((55 - v,))
            base = signature_base_for_label(request_from_json(test["request"]), label)
            digest = _hash_eip191_message(encode_defunct(primitive=base.encode("ascii")))
            address = Account._recover_hash(digest, signature=low).lower()
            assert address == test["recovered_address"] or test["recovered_address"] is None
            keyid = re.search(r"0x[0-9a-f]{40}", test["signature_base"].rsplit("keyid=", 1)[1])
            assert keyid is not None and address == keyid.group(0)
            twins += 1
    assert twins >= 4  # reason matrix and D14, in both profiles
    for group in _load("erc191_recover.json")["testGroups"]:
        for test in group["tests"]:
            if test["comment"].startswith("s = n - s"):
                signature = bytes.fromhex(test["signature_hex"])
                assert signature[64] in (27, 28)


def test_published_ids_are_kept() -> None:
    registry = json.loads((VECTORS_DIR / REGISTRY_NAME).read_text("utf-8"))["files"]
    assert set(registry) == set(FILES)
    for name in FILES:
        produced = {str(test["tcId"]): fingerprint(group, test)
                    for group in _load(name)["testGroups"] for test in group["tests"]}
        published, retired = registry[name]["published"], registry[name]["retired"]
        assert produced == published, name  # every published id, with its meaning
        assert not set(published) & set(retired), name


def test_a_disappearing_id_stops_the_generator(tmp_path: Path) -> None:
    from erc8128_vectors.ids import IdRegistry  # noqa: PLC0415

    path = tmp_path / REGISTRY_NAME
    group = {"type": "T", "profile": None, "comment": "g",
             "tests": [{"comment": "a"}, {"comment": "b"}]}
    registry = IdRegistry(path)
    assert registry.assign("x.json", [group]) == [1, 2]
    path.write_text(registry.render(), "utf-8")
    renamed = {**group, "tests": [{"comment": "a"}, {"comment": "b, reworded"}]}
    with pytest.raises(Erc8128Error, match=r"\[2\]"):
        IdRegistry(path).assign("x.json", [renamed])
    document = json.loads(path.read_text("utf-8"))
    entry = document["files"]["x.json"]
    entry["retired"]["2"] = {"fingerprint": entry["published"].pop("2"), "reason": "reworded"}
    path.write_text(json.dumps(document), "utf-8")
    assert IdRegistry(path).assign("x.json", [renamed]) == [1, 3]  # 2 is never reused


def test_generate_check_fails_when_a_published_id_disappears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from erc8128_vectors import generate  # noqa: PLC0415

    document = json.loads((VECTORS_DIR / REGISTRY_NAME).read_text("utf-8"))
    document["files"]["keccak256.json"]["published"]["9999"] = "0123456789abcdef"
    copy = tmp_path / REGISTRY_NAME
    copy.write_text(json.dumps(document), "utf-8")
    monkeypatch.setattr(generate, "REGISTRY_NAME", str(copy))  # absolute: replaces VECTORS_DIR
    assert generate.main(["--check"]) == 1
    error = capsys.readouterr().err
    assert "vector_id_disappeared: keccak256.json: published tcIds [9999]" in error
