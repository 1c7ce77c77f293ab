"""RFC 9530 Content-Digest: the RFC's values recreated and verified, and the ERC-8128 §3.1.3
verification rules (supported members all checked, unsupported ignored, one required)."""

import base64
from typing import Any

import pytest
from Crypto.Hash import SHA256, SHA512
from hypothesis import given, settings
from hypothesis import strategies as st

from erc8128.errors import ContentDigestError
from erc8128.http.content_digest import (
    DIGEST_LENGTHS,
    SUPPORTED_ALGORITHMS,
    content_digest,
    verify_content_digest,
)
from tests.support.third_party import third_party_json

RFC9530 = third_party_json("rfc9530/examples.json")
ALL_CASES = [*RFC9530["cases"], *RFC9530["rfc9421_content_digests"]]


def _content(case: dict[str, Any]) -> bytes:
    return bytes.fromhex(case["content"]["hex"])


def _supported_digests(case: dict[str, Any]) -> list[dict[str, Any]]:
    return [digest for digest in case["digests"] if digest["algorithm"] in SUPPORTED_ALGORITHMS]


def _params(matching: bool) -> list[Any]:
    return [
        pytest.param(case, id=case["id"])
        for case in ALL_CASES
        if case["all_match"] is matching and _supported_digests(case)
    ]


@pytest.mark.parametrize("case", _params(True))
def test_rfc9530_digest_is_recreated(case: dict[str, Any]) -> None:
    for digest in _supported_digests(case):
        algorithm = digest["algorithm"]
        assert content_digest(_content(case), [algorithm]) == (
            f"{algorithm}=:{digest['printed_b64']}:"
        )


@pytest.mark.parametrize("case", _params(True))
def test_rfc9530_field_is_verified(case: dict[str, Any]) -> None:
    if case["field_value_printed"] is not None:
        field = case["field_value_printed"]
    else:
        # Appendix D lists bare values for every registered algorithm: as one Dictionary the
        # unsupported ones (md5, sha, unixsum, ...) must be ignored.
        field = ", ".join(f"{d['algorithm']}=:{d['printed_b64']}:" for d in case["digests"])
    expected = tuple(digest["algorithm"] for digest in _supported_digests(case))
    assert verify_content_digest(_content(case), field) == expected


@pytest.mark.parametrize("case", _params(False))
def test_rfc9530_misprinted_field_is_rejected(case: dict[str, Any]) -> None:
    field = case["field_value_printed"]
    with pytest.raises(ContentDigestError) as caught:
        verify_content_digest(_content(case), field)
    if all(d.get("printed_is_valid_base64", True) for d in case["digests"]):
        assert caught.value.reason == "content_digest_mismatch"
    else:
        # Doubled "==" padding is not a valid sf Byte Sequence.
        assert caught.value.reason == "content_digest_malformed"


def test_rfc9530_misprints_are_right_once_corrected() -> None:
    for case in ALL_CASES:
        if case["all_match"]:
            continue
        for digest in _supported_digests(case):
            algorithm = digest["algorithm"]
            assert content_digest(_content(case), [algorithm]) == (
                f"{algorithm}=:{digest['computed_b64']}:"
            )


def test_erc8128_example_digest_of_abc() -> None:
    # ERC-8128 §3.4.3 example base: "content-digest": sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qct
    # BD/YfIAFa0=: (the SHA-256 of the 3 bytes "abc", per the vendored data's provenance).
    printed = "sha-256=:ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=:"
    assert content_digest(b"abc") == printed
    assert verify_content_digest(b"abc", printed) == ("sha-256",)


# --- creation -------------------------------------------------------------------------------


def test_default_is_sha256_and_order_is_kept() -> None:
    body = b'{"hello": "world"}'
    assert content_digest(body) == content_digest(body, ["sha-256"])
    both = content_digest(body, ["sha-512", "sha-256"])
    assert both.startswith("sha-512=:")
    assert ", sha-256=:" in both


@pytest.mark.parametrize(
    ("algorithms", "reason"),
    [
        (["md5"], "content_digest_unsupported_algorithm"),
        (["SHA-256"], "content_digest_unsupported_algorithm"),
        (["sha-384"], "content_digest_unsupported_algorithm"),
        ([], "content_digest_unsupported_algorithm"),
        ("sha-256", "content_digest_unsupported_algorithm"),
        (["sha-256", "sha-256"], "content_digest_duplicate_algorithm"),
        ([256], "content_digest_unsupported_algorithm"),
    ],
)
def test_creation_errors(algorithms: Any, reason: str) -> None:
    with pytest.raises(ContentDigestError) as caught:
        content_digest(b"x", algorithms)
    assert caught.value.reason == reason


def test_body_must_be_bytes() -> None:
    for call in (lambda: content_digest("x"),  # type: ignore[arg-type]
                 lambda: verify_content_digest("x", "sha-256=:AA==:")):  # type: ignore[arg-type]
        with pytest.raises(ContentDigestError) as caught:
            call()
        assert caught.value.reason == "content_digest_body_type"


# --- verification ---------------------------------------------------------------------------

BODY = b'{"hello": "world"}'
SHA256_B64 = base64.b64encode(SHA256.new(BODY).digest()).decode()
SHA512_B64 = base64.b64encode(SHA512.new(BODY).digest()).decode()
WRONG256_B64 = base64.b64encode(SHA256.new(BODY + b" ").digest()).decode()


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        (f"sha-256=:{SHA256_B64}:", ("sha-256",)),
        (f"sha-512=:{SHA512_B64}:", ("sha-512",)),
        (f"sha-512=:{SHA512_B64}:,sha-256=:{SHA256_B64}:", ("sha-512", "sha-256")),
        (f"md5=1, sha-256=:{SHA256_B64}:, unknown=(a b)", ("sha-256",)),
        (f"sha-256=:{SHA256_B64}:;note=1", ("sha-256",)),
        (f"  sha-256=:{SHA256_B64.rstrip('=')}:  ", ("sha-256",)),
        # RFC 9651 §4.2.2 last-wins: the earlier (wrong) member is overwritten.
        (f"sha-256=:{WRONG256_B64}:, sha-256=:{SHA256_B64}:", ("sha-256",)),
    ],
)
def test_verification_accepts(field: str, expected: tuple[str, ...]) -> None:
    assert verify_content_digest(BODY, field) == expected


@pytest.mark.parametrize(
    ("field", "reason"),
    [
        (f"sha-256=:{WRONG256_B64}:", "content_digest_mismatch"),
        (f"sha-256=:{SHA256_B64}:, sha-512=:{base64.b64encode(bytes(64)).decode()}:",
         "content_digest_mismatch"),
        (f"sha-256=:{SHA256_B64}:, sha-256=:{WRONG256_B64}:", "content_digest_mismatch"),
        (f"sha-256=:{base64.b64encode(bytes(31)).decode()}:", "content_digest_malformed"),
        (f"sha-256=:{SHA512_B64}:", "content_digest_malformed"),
        (f"sha-512=:{SHA256_B64}:", "content_digest_malformed"),
        ("sha-256=:", "content_digest_malformed"),
        ("sha-256=1", "content_digest_malformed"),
        ('sha-256="X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE="', "content_digest_malformed"),
        (f"sha-256=(:{SHA256_B64}:)", "content_digest_malformed"),
        ("sha-256", "content_digest_malformed"),
        ("SHA-256=:AA==:", "content_digest_malformed"),
        (f"sha-256=:{SHA256_B64}: x", "content_digest_malformed"),
        ("sha-256=:\u00e9:", "content_digest_malformed"),
        ("", "content_digest_no_supported_algorithm"),
        ("md5=:Sd/dVLAcvNLSq16eXua5uQ==:", "content_digest_no_supported_algorithm"),
        ("sha=:AA==:, sha-384=:AA==:", "content_digest_no_supported_algorithm"),
    ],
)
def test_verification_rejects(field: str, reason: str) -> None:
    with pytest.raises(ContentDigestError) as caught:
        verify_content_digest(BODY, field)
    assert caught.value.reason == reason


def test_field_value_must_be_str() -> None:
    with pytest.raises(ContentDigestError) as caught:
        verify_content_digest(BODY, b"sha-256=:AA==:")  # type: ignore[arg-type]
    assert caught.value.reason == "content_digest_malformed"


def test_digest_lengths_match_the_hashes() -> None:
    assert dict(DIGEST_LENGTHS) == {"sha-256": SHA256.digest_size, "sha-512": SHA512.digest_size}


@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=256), flip=st.integers(min_value=0, max_value=255))
def test_round_trip_matches_pycryptodome(body: bytes, flip: int) -> None:
    field = content_digest(body, ["sha-256", "sha-512"])
    expected = (
        f"sha-256=:{base64.b64encode(SHA256.new(body).digest()).decode()}:, "
        f"sha-512=:{base64.b64encode(SHA512.new(body).digest()).decode()}:"
    )
    assert field == expected
    assert verify_content_digest(body, field) == ("sha-256", "sha-512")
    changed = body + bytes([flip]) if not body else bytes([body[0] ^ (flip or 1)]) + body[1:]
    with pytest.raises(ContentDigestError) as caught:
        verify_content_digest(changed, field)
    assert caught.value.reason == "content_digest_mismatch"
