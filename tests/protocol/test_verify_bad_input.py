"""Bad input to verify_request: every hostile field gets a stable reason code, nothing is consumed,
and no exception but VerificationError escapes (property tests over arbitrary field text)."""

import base64
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erc8128.errors import VerificationError
from erc8128.http.message import Request
from erc8128.http.structured_fields import parse_dictionary, serialize_dictionary
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import verify_request
from erc8128.reasons import REASON_CODES
from erc8128.state.nonces.memory import MemoryReplayStore
from tests.support.draft_fixture import (
    ADDRESS,
    NOW,
    PRIVATE_KEY,
    field,
    positive_request,
    with_field,
    without,
)

SIGNATURE_INPUT = field(positive_request(), "signature-input")
SIGNATURE = field(positive_request(), "signature")


def outcome(request: Request) -> tuple[str, int]:
    """(reason or 'ok', keys consumed)."""
    nonces = MemoryReplayStore()
    try:
        verify_request(request, now=NOW, nonces=nonces)
    except VerificationError as error:
        assert error.reason in REASON_CODES
        assert error.status in (400, 401, 503)
        return error.reason, len(nonces)
    return "ok", len(nonces)


header_text = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x2FF), max_size=300)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(signature_input=header_text, signature=header_text)
def test_arbitrary_signature_fields_only_raise_verification_errors(signature_input: str,
                                                                   signature: str) -> None:
    request = with_field(with_field(positive_request(), "Signature-Input", signature_input),
                         "Signature", signature)
    reason, consumed = outcome(request)
    assert reason != "ok"
    assert consumed == 0


@settings(max_examples=300, deadline=None)
@given(position=st.integers(min_value=0, max_value=len(SIGNATURE_INPUT) - 1),
       replacement=st.characters(min_codepoint=0x20, max_codepoint=0x7E))
def test_every_single_character_change_of_signature_input_fails_closed(position: int,
                                                                      replacement: str) -> None:
    mutated = SIGNATURE_INPUT[:position] + replacement + SIGNATURE_INPUT[position + 1:]
    reason, consumed = outcome(with_field(positive_request(), "Signature-Input", mutated))
    if mutated == SIGNATURE_INPUT:
        assert reason == "ok"
    elif reason == "ok":
        # An accepted mutation must leave the parsed member unchanged (e.g. optional space).
        assert serialize_dictionary(parse_dictionary(mutated)) == serialize_dictionary(
            parse_dictionary(SIGNATURE_INPUT))
    else:
        assert consumed == 0


@pytest.mark.parametrize(
    ("mutation", "reason"),
    [
        (SIGNATURE_INPUT.replace("created=1700000000", "created=9999999999999999"),
         "signature_input_invalid"),  # 16 digits: not an sf-integer
        (SIGNATURE_INPUT.replace("created=1700000000", "created=999999999999999"),
         "invalid_time"),  # expires <= created
        (SIGNATURE_INPUT.replace("expires=1700000060", "expires=999999999999999"),
         "request_validity_too_long"),
        (SIGNATURE_INPUT.replace("created=1700000000", "created=-5"), "invalid_time"),
        (SIGNATURE_INPUT.replace("created=1700000000", "created=?0"), "invalid_time"),
        (SIGNATURE_INPUT.replace("expires=1700000060", "expires=?1"), "invalid_time"),
        (SIGNATURE_INPUT.replace("expires=1700000060", "expires=@1700000060"), "invalid_time"),
        (SIGNATURE_INPUT.replace('keyid="', 'keyid=%"'), "invalid_keyid"),
        (SIGNATURE_INPUT.replace('"@method"', '"@METHOD"'), "signature_input_invalid"),
        (SIGNATURE_INPUT.replace('"@method"', '"@foo"'), "signature_input_invalid"),
        (SIGNATURE_INPUT.replace('"@method"', '"@signature-params"'), "signature_input_invalid"),
        (SIGNATURE_INPUT.replace('"@method"', '"@path"'), "signature_input_invalid"),
        (SIGNATURE_INPUT.replace('"@method"', '"@method";req'), "signature_input_invalid"),
        (SIGNATURE_INPUT.replace('"@method"', '"x-absent"'), "insufficient_coverage"),
        (SIGNATURE_INPUT.replace('"content-type"', '"content-type" "x-absent"'),
         "signature_input_invalid"),
        (SIGNATURE_INPUT.replace('"@method"', "@method"), "signature_input_invalid"),
        (SIGNATURE_INPUT.replace("request=(", "request=:AAAA:;x=("), "signature_input_invalid"),
        ('request="not-a-list";tag="erc8128"', "signature_input_invalid"),
    ],
)
def test_hostile_parameters_and_components(mutation: str, reason: str) -> None:
    assert outcome(with_field(positive_request(), "Signature-Input", mutation)) == (reason, 0)


def test_unknown_parameters_are_ignored_but_signed() -> None:
    """Decision D20: unknown signature parameters are allowed (RFC 9421 §2.3 lets applications
    add them) and covered by @signature-params, so changing one breaks the signature."""
    request = without(without(positive_request(), "Signature-Input"), "Signature")
    signed = sign_request(request, PRIVATE_KEY, created=1700000000, nonce="u", label="request",
                          params={"app": "x"}).request
    assert outcome(signed) == ("ok", 1)
    tampered = with_field(signed, "Signature-Input",
                          field(signed, "signature-input").replace('app="x"', 'app="y"'))
    assert outcome(tampered) == ("bad_signature", 0)


def test_non_ascii_in_a_covered_field_is_refused_not_stripped() -> None:
    request = replace(positive_request(), headers=tuple(
        (n, "application/jsön" if n == "Content-Type" else v)
        for n, v in positive_request().headers))
    assert outcome(request) == ("signature_input_invalid", 0)


def test_duplicate_labels_are_last_wins() -> None:
    """ERC-8128, Duplicate Structured Field keys: "an unmodified RFC 9651 parser is sufficient"."""
    bogus = "request=(\"@authority\");created=1;expires=2;keyid=\"x\";tag=\"erc8128\""
    first_bogus = with_field(positive_request(), "Signature-Input", bogus + ", " + SIGNATURE_INPUT)
    assert outcome(first_bogus) == ("ok", 1)
    last_bogus = with_field(positive_request(), "Signature-Input", SIGNATURE_INPUT + ", " + bogus)
    assert outcome(last_bogus)[0] == "invalid_keyid"


def test_many_signatures_on_one_request_each_verify() -> None:
    base = Request("GET", "https://api.example/items", (("Host", "api.example"),))
    first = sign_request(base, PRIVATE_KEY, created=1700000000, nonce="a", label="one")
    other_key = bytes.fromhex("00" * 31 + "02")
    second = sign_request(first.request, other_key, created=1700000000, nonce="b", label="two")
    result = verify_request(second.request, now=NOW, nonces=MemoryReplayStore())
    assert (result.label, result.address) == ("one", ADDRESS)
    broken = with_field(second.request, "Signature",
                        "one=:" + base64.b64encode(bytes(65)).decode() + ":, "
                        + field(second.request, "signature").split(", ")[1])
    result = verify_request(broken, now=NOW, nonces=MemoryReplayStore())
    assert result.label == "two"
    assert result.address != ADDRESS


def test_signature_member_that_is_not_bytes() -> None:
    for value in ('request="abc"', "request=1", "request=(:AAAA:)", "request=::"):
        assert outcome(with_field(positive_request(), "Signature", value))[1] == 0
    assert outcome(with_field(positive_request(), "Signature", "request=::")) == (
        "bad_signature", 0)
