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
# stderr kept in memory at most (older output is dropped): an adapter that floods stderr cannot
# exhaust the suite's memory.
_STDERR_KEEP_CHARS: Final = 256 * 1024
# The longest response line read. The largest answer of the reference adapter to any vector is a
# few KiB; a longer line is an adapter misbehaving (e.g. a 10 MB answer) and is not read further.
MAX_LINE_BYTES: Final = 1024 * 1024
_EOF: Final = None
# How long an adapter whose stdout closed may take to exit before it counts as still running.
_EXIT_WAIT_SEC: Final = 2.0
# Queued by the stdout reader instead of a line longer than MAX_LINE_BYTES (readline never
# yields b"" for a line: b"" is its end of file, which is queued as _EOF).
_OVERSIZE: Final = b""


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
    stderr_chars: int = 0  # kept in stderr_chunks (bytes read, a bound, not exact characters)
    stderr_dropped: int = 0  # chunks dropped from the front of stderr_chunks

    def stderr_since(self, mark: int) -> str:
        with self.stderr_lock:
            start = max(0, mark - self.stderr_dropped)
            return "".join(self.stderr_chunks[start:])[-_STDERR_TAIL_CHARS:]

    def stderr_mark(self) -> int:
        """A position in the stderr stream (chunks ever read)."""
        with self.stderr_lock:
            return self.stderr_dropped + len(self.stderr_chunks)


def _pump_stdout(stream: IO[bytes], lines: queue.Queue[bytes | None]) -> None:
    while True:
        line = stream.readline(MAX_LINE_BYTES + 1)
        if not line:
            lines.put(_EOF)
            return
        if len(line) > MAX_LINE_BYTES:
            # Stop reading: the client reports the oversized line and kills the adapter.
            lines.put(_OVERSIZE)
            return
        lines.put(line)


def _pump_stderr(stream: IO[bytes], process: _Process) -> None:
    while True:
        chunk = stream.readline(64 * 1024)
        if not chunk:
            return
        with process.stderr_lock:
            process.stderr_chunks.append(chunk.decode("utf-8", "replace"))
            process.stderr_chars += len(chunk)
            while process.stderr_chars > _STDERR_KEEP_CHARS and len(process.stderr_chunks) > 1:
                process.stderr_chars -= len(process.stderr_chunks.pop(0))
                process.stderr_dropped += 1


SCHEMA_PATH: Final = Path(__file__).resolve().parent / "schema" / "adapter-protocol.schema.json"

_Validators = tuple[Any, dict[str, Any]]


def _protocol_validators() -> _Validators:
    """Validators for a response line and each operation's ``ok``.

    jsonschema is required (the ``conformance`` extra installs it): with the check optional, the
    same answer would be "errored" on one machine and "passed" or "failed" on another."""
    try:
        jsonschema = importlib.import_module("jsonschema")
    except ImportError:
        raise ImportError(
            "the conformance suite checks adapter answers with jsonschema: "
            "pip install 'erc8128[conformance]'"
        ) from None
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.Draft202012Validator

    def validator(ref: str) -> Any:
        return validator_class({**schema, "$ref": ref})

    ok_validators = {op: validator(f"#/$defs/ok/{op}") for op in schema["$defs"]["ok"]}
    return validator("#/$defs/response_line"), ok_validators


class AdapterClient:
    """Drive one adapter command; restart it after it misbehaves. With ``validate`` every
    response is checked against the protocol's JSON Schema."""

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

    def call(
        self, op: str, fields: dict[str, Any] | None = None, *, deadline: float | None = None
    ) -> Response:
        """Send ``{"seq", "op", **fields}`` and return the adapter's response.

        The adapter has ``timeout`` seconds to read the request and answer, and no longer than
        ``deadline`` (a ``time.monotonic()`` instant: the end of the case's time)."""
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
                shown = (
                    extra[:300].decode("utf-8", "replace").rstrip("\n")
                    if extra != _OVERSIZE else f"(longer than {MAX_LINE_BYTES} bytes)"
                )
                raise self._fail(
                    process, mark, "garbage",
                    f"an unsolicited line after the previous response: {shown!r}",
                )
            process.lines.put(_EOF)
        started = time.monotonic()
        limit = min(self.timeout, deadline - started) if deadline is not None else self.timeout
        limit = max(0.0, limit)
        deadline = started + limit
        within = f"in {self.timeout} s" if limit == self.timeout else (
            f"within the case's {self.timeout} s")
        write_error = self._write(process, line, deadline)
        if write_error == "timeout":
            raise self._fail(
                process, mark, "timeout",
                f"the adapter did not read request seq {seq} ({op}) {within}",
            )
        if write_error is not None:
            raise self._fail(process, mark, "crash", f"cannot write the request: {write_error}")
        try:
            answer = process.lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise self._fail(
                process, mark, "timeout", f"no response to seq {seq} ({op}) {within}"
            ) from None
        if answer is _EOF:
            try:
                code: int | None = process.popen.wait(timeout=_EXIT_WAIT_SEC)
            except subprocess.TimeoutExpired:
                # It closed its stdout but keeps running: it cannot answer any more.
                raise self._fail(
                    process, mark, "crash",
                    f"closed its stdout during {op} (seq {seq}) without answering, still running",
                ) from None
            raise self._fail(process, mark, "crash", f"exited with status {code} during {op}")
        if answer == _OVERSIZE:
            raise self._fail(
                process, mark, "garbage",
                f"a response line longer than {MAX_LINE_BYTES} bytes to seq {seq} ({op})",
            )
        return self._decode(process, mark, seq, answer, op)

    @staticmethod
    def _write(process: _Process, line: bytes, deadline: float) -> str | None:
        """Write one request line; an adapter that stops reading its stdin cannot block the
        suite past the deadline (a pipe holds only some KiB). None, "timeout" or the error."""
        stdin = process.popen.stdin
        assert stdin is not None
        errors: list[str] = []

        def write() -> None:
            try:
                stdin.write(line)
                stdin.flush()
            except (OSError, ValueError) as error:
                errors.append(str(error) or type(error).__name__)

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        writer.join(max(0.0, deadline - time.monotonic()))
        if writer.is_alive():
            return "timeout"  # the kill in _fail closes the pipe and ends the writer
        return errors[0] if errors else None

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
