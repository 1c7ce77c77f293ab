"""Fake conformance adapters for the suite's own tests: Python programs that speak the adapter
protocol (conformance/README.md: one JSON request per line on stdin, one JSON response per line
on stdout), answer ``hello`` as told and every other operation as the test needs."""

import textwrap
from typing import Any

__all__ = ["fake_adapter"]


def fake_adapter(hello: dict[str, Any], answer: str, *, imports: str = "") -> str:
    """The source of a fake adapter whose ``hello`` answer is ``hello`` and whose other answers
    come from ``answer``: statements that see ``request``, ``seq`` and ``op`` and set
    ``response`` (the whole line, ``seq`` included). ``imports`` is extra import lines."""
    body = textwrap.indent(textwrap.dedent(answer).strip(), " " * 8)
    return (
        "import json, sys\n"
        f"{textwrap.dedent(imports).strip()}\n"
        f"HELLO = {hello!r}\n"
        "for line in sys.stdin:\n"
        "    request = json.loads(line)\n"
        '    seq, op = request["seq"], request["op"]\n'
        '    if op == "hello":\n'
        '        response = {"seq": seq, "ok": HELLO}\n'
        "    else:\n"
        f"{body}\n"
        '    sys.stdout.write(json.dumps(response) + "\\n"); sys.stdout.flush()\n'
    )
