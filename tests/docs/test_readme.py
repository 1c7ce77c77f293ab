"""The README stays true: its two set-up commands and its tour run as written."""

import asyncio
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from erc8128.client import Signer
from erc8128.http.message import Request

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_exactly_two_setup_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line for line in first_block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert [command.split("#")[0].strip() for command in commands] == [
        "./scripts/demo",
        "./scripts/test",
    ]
    demo = (ROOT / "scripts/demo").read_text()
    assert 'exec "$venv_dir/bin/erc8128" demo' in demo
    ci = (ROOT / ".ci/run").read_text()
    assert "./scripts/test" in ci


def test_readme_tour_runs() -> None:
    tour = re.search(r"```python\n(.*?)```", README, re.S)
    assert tour is not None
    result = subprocess.run([sys.executable, "-c", tour.group(1)], capture_output=True,
                            text=True, check=True)
    assert "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf True False" in result.stdout
    assert result.stdout.startswith('"@scheme": https\n')


def test_no_file_names_a_path_of_a_build_machine() -> None:
    # The project names files by their path inside the repository (the developers' guide).
    forbidden = re.compile("/" + "work/|" + r"\.\./" + "shared/")
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split("\n")
    text_files = [name for name in listed
                  if name.endswith((".md", ".py", ".json", ".toml", ".mjs", ".js", ".html"))
                  and "node_modules" not in name]
    assert len(text_files) > 100
    offenders = [name for name in text_files
                 if forbidden.search((ROOT / name).read_text(errors="replace"))]
    assert offenders == []


def test_readme_middleware_example_answers_a_signed_request_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """"Protect your own API": the example app answers a request signed for its public URL
    with the signer's address, and the same request again with 401 nonce_reused."""
    example = re.findall(r"```python\n(.*?)```", README, re.S)[1]
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))  # the Gate's restart watermark
    namespace: dict[str, Any] = {}
    exec(compile(example, "README.md", "exec"), namespace)
    signer = Signer.generate()
    signed = signer.sign(Request("GET", "http://127.0.0.1:8000/hello",
                                 (("Host", "127.0.0.1:8000"),)), created=int(time.time()))
    scope = {"type": "http", "method": "GET", "path": "/hello", "raw_path": b"/hello",
             "query_string": b"", "headers": [(name.lower().encode(), value.encode())
                                              for name, value in signed.request.headers]}

    def call() -> tuple[int, bytes]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        asyncio.run(namespace["app"](dict(scope), receive, send))
        return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])

    assert call() == (200, f"hello {signer.address}\n".encode())
    status, body = call()
    assert status == 401 and b"nonce_reused" in body
