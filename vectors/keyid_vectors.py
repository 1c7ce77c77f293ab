"""Builds ``keyid.json``: the keyid syntax of both profiles (draft ``eip155:<chain-id>:0x<40
lowercase hex>``, ERC-8128 §3.3.1; legacy ``erc8128:...``, case-insensitive hex) and SPEC.md §6
decision D3 on chain ids.
"""

from erc8128.errors import Erc8128Error
from erc8128.protocol.keyid import parse_keyid

from .common import (
    _ADDRESS,
    ADDRESS_1,
    JsonObject,
    VectorFile,
    _assemble,
    _by_flags,
    _group,
    _schema,
    _test,
)

# -- keyid.json ----------------------------------------------------------------------------------


def _classify_keyid(group: JsonObject, test: JsonObject) -> str:
    """The rule a keyid test exercises: CAIP-2's reference length, the February text's own
    "Verifiers MUST treat address hex as case-insensitive" for a legacy address in another
    case, else the profile's keyid syntax."""
    if "CaipReference" in test["flags"]:
        return "caip2-reference"
    if "AddressCase" in test["flags"] and group.get("profile") == "legacy":
        return "legacy-address-case"
    return _by_flags({}, valid="keyid-syntax")(group, test)


def _keyid_file() -> VectorFile:
    address = ADDRESS_1
    digits = address[2:]
    checksummed = "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"
    groups = []
    for profile, prefix in (("draft", "eip155"), ("legacy", "erc8128")):
        other = "erc8128" if profile == "draft" else "eip155"
        cases: list[tuple[str, str, list[str], str | None]] = [
            ("canonical", f"{prefix}:1:{address}", [], None),
            ("chain 8453", f"{prefix}:8453:{address}", [], None),
            ("chain 0 (syntactically valid, D3)", f"{prefix}:0:{address}", ["SpecDecision"],
             "D3"),
            ("32-digit chain (CAIP-2 maximum, D3)", f"{prefix}:{'9' * 32}:{address}",
             ["SpecDecision", "CaipReference"], "D3"),
            ("EIP-55 checksummed address", f"{prefix}:1:{checksummed}", ["AddressCase"], None),
            ("uppercase address hex", f"{prefix}:1:0x{digits.upper()}", ["AddressCase"], None),
            ("uppercase 0X prefix", f"{prefix}:1:0X{digits}", [], None),
            ("chain with a leading zero", f"{prefix}:01:{address}", ["SpecDecision"], "D3"),
            ("chain 00", f"{prefix}:00:{address}", ["SpecDecision"], "D3"),
            ("33-digit chain", f"{prefix}:{'1' * 33}:{address}",
             ["SpecDecision", "CaipReference"], "D3"),
            ("empty chain", f"{prefix}::{address}", [], None),
            ("chain '+1'", f"{prefix}:+1:{address}", [], None),
            ("chain '-1'", f"{prefix}:-1:{address}", [], None),
            ("chain '1_0'", f"{prefix}:1_0:{address}", [], None),
            ("chain ' 1'", f"{prefix}: 1:{address}", [], None),
            ("Arabic-Indic digit one as the chain", f"{prefix}:\u0661:{address}",
             ["UnicodeDigits"], None),
            ("fullwidth digit one as the chain", f"{prefix}:\uff11:{address}",
             ["UnicodeDigits"], None),
            ("39 hex digits", f"{prefix}:1:{address[:-1]}", [], None),
            ("41 hex digits", f"{prefix}:1:{address}0", [], None),
            ("no 0x", f"{prefix}:1:{digits}", [], None),
            ("non-hex digit g", f"{prefix}:1:0x{digits[:-1]}g", [], None),
            ("Arabic-Indic digit in the address", f"{prefix}:1:0x{digits[:-1]}\u0661",
             ["UnicodeDigits"], None),
            ("trailing space", f"{prefix}:1:{address} ", [], None),
            ("leading space", f" {prefix}:1:{address}", [], None),
            ("trailing newline", f"{prefix}:1:{address}\n", [], None),
            ("uppercase namespace", f"{prefix.upper()}:1:{address}", [], None),
            ("the other profile's namespace", f"{other}:1:{address}", [], None),
            ("missing chain part", f"{prefix}:{address}", [], None),
            ("extra part", f"{prefix}:1:{address}:1", [], None),
            ("empty keyid", "", [], None),
        ]
        tests = []
        for comment, keyid, flags, decision in cases:
            extra: JsonObject = {} if decision is None else {"decision": decision}
            try:
                account = parse_keyid(keyid, profile)  # type: ignore[arg-type]
            except Erc8128Error as error:
                tests.append(_test(comment, flags, "invalid", reason=error.reason, **extra,
                                   keyid=keyid))
            else:
                tests.append(_test(comment, flags, "valid", **extra, keyid=keyid,
                                   chain_id=account.chain_id, address=account.address))
        groups.append(_group("KeyIdTest", tests, profile=profile))
    notes = {
        "SpecDecision": "Pins a SPEC.md decision (field `decision`): D3, chain ids are 1 to 32 "
        "ASCII digits without a leading zero in both profiles.",
        "AddressCase": "Draft §3.3.1: the address is \"0x followed by exactly 40 lowercase "
        "hexadecimal characters\"; February text: \"Verifiers MUST treat address hex as "
        "case-insensitive\".",
        "CaipReference": "CAIP-2 (the chain id of CAIP-10): a reference is 1 to 32 characters; "
        "a longer chain id breaks that standard, not only D3.",
        "UnicodeDigits": "A non-ASCII decimal digit (many regex engines' \\d and isdigit accept "
        "them).",
    }
    schema = _schema(
        "ERC-8128 keyid vectors", "KeyIdTest",
        {"keyid": {"type": "string"}, "chain_id": {"type": "integer"}, "address": _ADDRESS},
        ["keyid"],
    )
    return _assemble(
        "keyid.json", "ERC-8128-KEYID",
        ["draft: keyid = eip155:<chain-id>:0x<40 lowercase hex>; legacy: erc8128:<chain-id>:0x<40 "
         "hex>, case-insensitive hex. Valid tests give the parsed chain id and the lowercase "
         "address."],
        notes, groups, schema=schema,
        classify=_classify_keyid,
    )
