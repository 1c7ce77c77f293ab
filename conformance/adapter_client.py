"""The suite's side of the adapter protocol (conformance/README.md, "Adapter protocol").

One long-lived adapter process; one JSON request per line on its stdin, exactly one JSON
response per line on its stdout, stderr kept for the failure report. The client checks that
every response repeats the request's ``seq`` and is exactly one of ``ok`` / ``error`` /
``unsupported``. A misbehaving adapter (it exits, writes a line that is not such a response,
answers with the wrong ``seq``, or does not answer within the per-case timeout) makes the call
raise :class:`AdapterFailure` carrying the stderr written meanwhile; the process is then killed
and the next call starts a fresh one, so one bad case never takes the rest of the run with it.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import queue
import shlex
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final, Literal

__all__ = [
    "AdapterClient",
    "AdapterFailure",
    "FailureKind",
    "Response",
    "ResponseKind",
]

ResponseKind = Literal["ok", "error", "unsupported"]
FailureKind = Literal["start", "crash", "garbage", "seq", "shape", "timeout"]

# How long to wait for the adapter's last stderr lines after it misbehaved.
_STDERR_GRACE_SEC: Final = 0.2
# Kept per failure report: the tail of stderr, enough for a stack trace.
_STDERR_TAIL_CHARS: Final = 8000
_EOF: Final = None


@dataclass(frozen=True)
class Response:
    """One well-formed adapter response."""

    kind: ResponseKind
    body: dict[str, Any]  # the `ok` object, the `error` object, or {"detail": ...} if unsupported
    raw: dict[str, Any]
    stderr: str = ""

    @property
    def reason(self) -> str | None:
        reason = self.body.get("reason") if self.kind == "error" else None
        return reason if isinstance(reason, str) else None


class AdapterFailure(Exception):
    """The adapter broke the protocol for one request (the case is reported as errored)."""

    def __init__(self, kind: FailureKind, message: str, stderr: str = "") -> None:
        super().__init__(f"adapter {kind}: {message}")
        self.kind = kind
        self.message = message
        self.stderr = stderr


@dataclass
class _Process:
    popen: subprocess.Popen[bytes]
    lines: queue.Queue[bytes | None]
    stderr_chunks: list[str] = field(default_factory=list)
    stderr_lock: threading.Lock = field(default_factory=threading.Lock)

    def stderr_since(self, mark: int) -> str:
        with self.stderr_lock:
            return "".join(self.stderr_chunks[mark:])[-_STDERR_TAIL_CHARS:]

    def stderr_mark(self) -> int:
        with self.stderr_lock:
            return len(self.stderr_chunks)


def _pump_stdout(stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
    for line in iter(stream.readline, b""):
        lines.put(line)
    lines.put(_EOF)


def _pump_stderr(stream: IO[bytes], process: _Process) -> None:
    for line in iter(stream.readline, b""):
        with process.stderr_lock:
            process.stderr_chunks.append(line.decode("utf-8", "replace"))


SCHEMA_PATH: Final = Path(__file__).resolve().parent / "schema" / "adapter-protocol.schema.json"

_Validators = tuple[Any, dict[str, Any]]


def _protocol_validators() -> _Validators | None:
    """Validators for a response line and each operation's ``ok`` (None without jsonschema)."""
    try:
        jsonschema = importlib.import_module("jsonschema")  # optional for the suite
    except ImportError:
        return None
    if not SCHEMA_PATH.is_file():  # a copy of the suite installed without its schema folder
        return None
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.Draft202012Validator

    def validator(ref: str) -> Any:
        return validator_class({**schema, "$ref": ref})

    ok_validators = {op: validator(f"#/$defs/ok/{op}") for op in schema["$defs"]["ok"]}
    return validator("#/$defs/response_line"), ok_validators


class AdapterClient:
    """Drive one adapter command; restart it after it misbehaves. With ``validate`` (and
    jsonschema installed) every response is checked against the protocol's JSON Schema."""

    def __init__(
        self,
        command: str | Sequence[str],
        *,
        timeout: float = 10.0,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        validate: bool = True,
    ) -> None:
        self.argv: list[str] = shlex.split(command) if isinstance(command, str) else list(command)
        if not self.argv:
            raise ValueError("expected an adapter command, got an empty one")
        self.timeout = timeout
        self.cwd = cwd
        self.env = env
        self.restarts = 0
        self.validators = _protocol_validators() if validate else None
        self._process: _Process | None = None
        self._seq = 0

    # -- process lifecycle ---------------------------------------------------------------------

    def _start(self) -> _Process:
        try:
            popen = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.cwd,
                env=self.env if self.env is not None else dict(os.environ),
            )
        except OSError as error:
            raise AdapterFailure("start", f"cannot start {self.argv!r}: {error}") from None
        assert popen.stdout is not None and popen.stderr is not None
        process = _Process(popen, queue.Queue())
        for target, stream_args in (
            (_pump_stdout, (popen.stdout, process.lines)),
            (_pump_stderr, (popen.stderr, process)),
        ):
            threading.Thread(target=target, args=stream_args, daemon=True).start()
        return process

    def _kill(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if process.popen.poll() is None:
            process.popen.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.popen.wait(timeout=5)
        for stream in (process.popen.stdin, process.popen.stdout, process.popen.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def close(self) -> None:
        """Close the adapter's stdin and wait briefly for it to exit; kill it otherwise."""
        process = self._process
        if process is not None and process.popen.stdin is not None:
            try:
                process.popen.stdin.close()
                process.popen.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()

    def __enter__(self) -> AdapterClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one request ---------------------------------------------------------------------------

    def _fail(
        self, process: _Process, mark: int, kind: FailureKind, message: str
    ) -> AdapterFailure:
        time.sleep(_STDERR_GRACE_SEC)
        stderr = process.stderr_since(mark)
        self._kill()
        self.restarts += 1
        return AdapterFailure(kind, message, stderr)

    def call(self, op: str, fields: dict[str, Any] | None = None) -> Response:
        """Send ``{"seq", "op", **fields}`` and return the adapter's response."""
        if self._process is None or self._process.popen.poll() is not None:
            if self._process is not None:
                self._kill()
            self._process = self._start()
        process = self._process
        self._seq += 1
        seq = self._seq
        request = {**(fields or {}), "seq": seq, "op": op}
        line = json.dumps(request, separators=(",", ":")).encode("ascii") + b"\n"
        mark = process.stderr_mark()
        if not process.lines.empty():
            extra = process.lines.get_nowait()
            if extra is not _EOF:
                shown = extra[:300].decode("utf-8", "replace").rstrip("\n")
                raise self._fail(
                    process, mark, "garbage",
                    f"an unsolicited line after the previous response: {shown!r}",
                )
            process.lines.put(_EOF)
        stdin = process.popen.stdin
        assert stdin is not None
        try:
            stdin.write(line)
            stdin.flush()
        except OSError as error:
            raise self._fail(process, mark, "crash", f"cannot write the request: {error}") from None
        try:
            answer = process.lines.get(timeout=self.timeout)
        except queue.Empty:
            raise self._fail(
                process, mark, "timeout", f"no response to seq {seq} ({op}) in {self.timeout} s"
            ) from None
        if answer is _EOF:
            process.popen.wait(timeout=5)
            code = process.popen.returncode
            raise self._fail(process, mark, "crash", f"exited with status {code} during {op}")
        return self._decode(process, mark, seq, answer, op)

    def _schema_problem(self, raw: dict[str, Any], op: str) -> str | None:
        """The first way ``raw`` breaks schema/adapter-protocol.schema.json, if any."""
        if self.validators is None:
            return None
        line_validator, ok_validators = self.validators
        error = next(iter(line_validator.iter_errors(raw)), None)
        if error is None and "ok" in raw and op in ok_validators:
            error = next(iter(ok_validators[op].iter_errors(raw["ok"])), None)
        if error is None:
            return None
        where = "/".join(str(part) for part in error.absolute_path) or "(top)"
        return f"the response breaks the protocol schema at {where}: {error.message[:200]}"

    def _decode(
        self, process: _Process, mark: int, seq: int, answer: bytes, op: str = ""
    ) -> Response:
        shown = answer[:300].decode("utf-8", "replace").rstrip("\n")
        try:
            raw = json.loads(answer.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise self._fail(process, mark, "garbage", f"not a JSON line: {shown!r}") from None
        if not isinstance(raw, dict):
            raise self._fail(process, mark, "garbage", f"not a JSON object: {shown!r}")
        # Protocol: "every response repeats `"seq"`".
        if type(raw.get("seq")) is not int or raw["seq"] != seq:
            raise self._fail(
                process, mark, "seq", f"expected seq {seq}, got {raw.get('seq')!r}: {shown!r}"
            )
        # Protocol: "A response is exactly one of" ok / error / unsupported.
        present = [kind for kind in ("ok", "error", "unsupported") if kind in raw]
        if len(present) != 1:
            raise self._fail(
                process, mark, "shape", f"expected exactly one of ok/error/unsupported: {shown!r}"
            )
        kind: ResponseKind = present[0]  # type: ignore[assignment]
        problem = self._schema_problem(raw, op)
        if problem is not None:
            raise self._fail(process, mark, "shape", f"{problem}: {shown!r}")
        stderr = process.stderr_since(mark)
        if kind == "unsupported":
            if raw["unsupported"] is not True:
                raise self._fail(process, mark, "shape", f"expected unsupported: true: {shown!r}")
            detail = raw.get("detail")
            return Response("unsupported", {"detail": detail if detail else ""}, raw, stderr)
        body = raw[kind]
        if not isinstance(body, dict):
            raise self._fail(process, mark, "shape", f"expected {kind} to be an object: {shown!r}")
        if kind == "error" and not isinstance(body.get("reason"), str):
            raise self._fail(process, mark, "shape", f"expected error.reason string: {shown!r}")
        return Response(kind, body, raw, stderr)
