"""sign_request is judged by what was signed (SPEC.md D47): the reference verifier accepts the
output under the case's policy and it covers what the profile requires; equal bytes are the
"canonical form", required only where the text fixes the bytes (the draft's positive vector)."""

from pathlib import Path
from typing import Any

import pytest

from erc8128.cli.adapter import AdapterState, answer
from erc8128_conformance.adapter_client import Response
from erc8128_conformance.cases import Case, load_vector_cases
from erc8128_conformance.judge import judge_step

ROOT = Path(__file__).resolve().parents[2]
CASES = {case.case_id: case for case in load_vector_cases(ROOT / "vectors" / "sign_request.json")}


def _case(flag: str | None = None, profile: str = "draft") -> Case:
    """The first valid default-component case of a profile (or the first with ``flag``)."""
    for case in CASES.values():
        fields = case.steps[0].fields
        if case.result != "valid" or fields["profile"] != profile:
            continue
        if (flag is None and not case.flags and fields.get("components") is None
                and fields.get("request", {}).get("body_hex")) or (flag in case.flags):
            return case
    raise AssertionError(f"no case with {flag!r} in {profile}")


def _signed(case: Case, **changes: Any) -> Response:
    fields = {**case.steps[0].fields, **changes}
    raw = answer({"seq": 1, "op": "sign_request", **fields}, AdapterState())
    assert "ok" in raw, raw
    return Response("ok", raw["ok"], raw)


def _judge(case: Case, response: Response) -> Any:
    return judge_step(case.steps[0], response, reason_checked=False, deterministic=True,
                      strict=False, flags=case.flags)


@pytest.mark.parametrize("profile", ["draft", "legacy"])
def test_another_valid_component_order_passes_with_a_canonical_note(profile: str) -> None:
    case = _case(profile=profile)
    default = case.steps[0].intermediates["signature_input"]
    covered = default[1:default.index(")")].replace('"', "").split()
    reordered = [*covered[1:], covered[0]]
    verdict = _judge(case, _signed(case, components=reordered))
    assert verdict.status == "passed", verdict.message
    assert "signature-input" in verdict.canonical
    assert _judge(case, _signed(case)).canonical == ""


@pytest.mark.parametrize(("changes", "words"), [
    ({"components": ["@authority", "@method", "@query", "content-digest", "content-type"]},
     "'@path']"),
    ({"nonce": "another-nonce"}, "parameter nonce: expected"),
    ({"expires": 1_700_000_100}, "parameter expires: expected"),
    ({"private_key_hex": "22" * 32}, "names another account than the signer"),
    ({"label": "other"}, "expected one new member 'eth'"),
])
def test_a_wrong_signature_fails_with_why(changes: dict[str, Any], words: str) -> None:
    case = _case()
    verdict = _judge(case, _signed(case, **changes))
    assert verdict.status == "failed"
    assert verdict.mismatch == "output"
    assert words in verdict.message


def test_a_signer_that_rewrites_the_request_fails() -> None:
    case = _case()
    response = _signed(case)
    headers = [[name, value + " " if name.lower() == "content-type" else value]
               for name, value in response.body["headers"]]
    verdict = _judge(case, Response("ok", {**response.body, "headers": headers}, {}))
    assert verdict.status == "failed"
    assert "were changed or dropped: content-type" in verdict.message


def test_the_draft_vector_bytes_are_fixed_by_the_text() -> None:
    case = _case(flag="DraftVector")
    components = case.steps[0].fields["components"]
    verdict = _judge(case, _signed(case, components=[*components[1:], components[0]]))
    assert verdict.status == "failed"
    assert verdict.mismatch == "canonical"
    assert "the text fixes these bytes (flag DraftVector)" in verdict.message
