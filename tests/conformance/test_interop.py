"""The signer × verifier interop matrix (conformance/interop.py, issue 21 item 8): a refusal is
blamed on the verifier when this project's verifier accepts the same bytes, on the signer
otherwise; a profile a party does not offer is "not offered". Runs the reference adapter and a
tiny stand-in adapter that refuses every request (the three real SDKs run in
tests/conformance/test_compatibility.py, which checks docs/compatibility.md is current)."""

import sys
import textwrap
from pathlib import Path

from erc8128_conformance.interop import PARTIES, Party, interop_matrix, render_matrix

REFUSER = textwrap.dedent('''
    import json, sys
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "hello":
            answer = {"ok": {"implementation": {"name": "refuser", "version": "1",
                                                "language": "py"},
                             "operations": ["hello", "sign_request", "verify_request"],
                             "profiles": ["legacy"], "capabilities": []}}
        else:
            answer = {"error": {"reason": "bad_signature", "status": 401, "message": "no"}}
        sys.stdout.write(json.dumps({"seq": request["seq"], **answer}) + "\\n")
        sys.stdout.flush()
''')


def test_refusals_are_blamed_on_the_side_that_deviates(tmp_path: Path) -> None:
    script = tmp_path / "refuser.py"
    script.write_text(REFUSER, encoding="utf-8")
    refuser = Party("refuser", f"{sys.executable} {script}", "refuser.md")
    ours = PARTIES[0]
    matrix = interop_matrix((ours, refuser))
    legacy = matrix["legacy", "POST with a body"]
    assert legacy[ours.name, ours.name].text == "verified"
    # Our verifier accepts what we signed: the refusing verifier deviates.
    cell = legacy[ours.name, refuser.name]
    assert (cell.text, cell.link) == ("refused: `bad_signature`", "refuser.md")
    # The refuser signs nothing: the signer deviates.
    cell = legacy[refuser.name, ours.name]
    assert (cell.text, cell.link) == ("signer refused: `bad_signature`", "refuser.md")
    # It offers no draft profile.
    assert matrix["draft", "GET"][ours.name, refuser.name].text == "not offered"
    assert matrix["draft", "GET"][ours.name, ours.name].text == "verified"
    page = "\n".join(render_matrix(matrix, (ours, refuser)))
    assert "[refused: `bad_signature`](refuser.md)" in page
