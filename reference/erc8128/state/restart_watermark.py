"""The restart watermark: a durable high-water mark of ``created`` over accepted signatures, one
small file per served origin (decision D61, SPEC.md).

ERC-8128 §3.1.2: "A verifier MUST atomically mark an unused replay key as used [...] It MUST
retain the mark until the request can no longer be accepted, including allowed clock skew."
A replay store or early-invalidation state kept in memory forgets its marks at a restart. A
restarted verifier that refuses every signature created at or before the highest ``created`` it
may have accepted before (``floor``) accepts nothing twice, whatever its new skew, maximum
validity or profiles, and whatever the replay store; a freshly signed request (``created`` =
now) passes as soon as the clock has passed ``floor``, a second or two after the last request
the earlier process accepted.

The mark is a reservation: before a signature whose ``created`` exceeds the reservation is
accepted, the reservation is advanced to ``created + headroom`` and written with ``fsync``, so a
crash right after the acceptance can never lose it; below the reservation no I/O happens. Several
processes serving one origin may share the file: a write takes an exclusive ``flock`` and keeps
the larger value.

File I/O lives here; the verifier receives ``floor`` as data (``verify_request(...,
restart_floor=...)``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from erc8128.errors import Erc8128Error
from erc8128.state.unix_time import MAX_UNIX_TIME

DEFAULT_HEADROOM_SEC: Final = 1
"""How far past ``created`` a reservation reaches: one write per second of traffic at most, and
at most about this long (plus one second) before a restarted verifier accepts a fresh request."""

_FORMAT: Final = 1


class WatermarkError(Erc8128Error):
    """The watermark file cannot be read, parsed or written; never a silent acceptance.

    Reasons: ``state_dir_invalid`` (at start: missing, not a directory, not writable),
    ``watermark_corrupt`` (at start: the file is not what this module writes),
    ``watermark_unavailable`` (while serving: a reservation could not be made durable).
    """


def default_state_dir() -> str:
    """``$XDG_STATE_HOME/erc8128``, else ``~/.local/state/erc8128`` (XDG Base Directory)."""
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "state"
    )
    return os.path.join(base, "erc8128")


def watermark_path(state_dir: str, origin: str) -> Path:
    """The file for one served origin: readable prefix, then a hash (injective in practice)."""
    readable = "".join(c if c.isalnum() or c in "-." else "_" for c in origin)[:60]
    digest = hashlib.sha256(origin.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return Path(state_dir) / f"restart-{readable}-{digest}.json"


class RestartWatermark:
    """The reserved high-water mark of ``created`` for one origin, backed by one file.

    ``floor`` is the mark found at :meth:`open` (None for a first start): every signature created
    at or before it may have been accepted by an earlier process and is refused (D61).
    :meth:`admit` is called for each accepted signature before the request is answered.
    """

    path: Path
    origin: str
    floor: int | None
    headroom: int

    def __init__(self, path: Path, origin: str, floor: int | None, headroom: int) -> None:
        self.path = path
        self.origin = origin
        self.floor = floor
        self.headroom = headroom
        # What is durably written (never below floor); a created at or below needs no I/O.
        self._reserved = floor if floor is not None else -1
        self._lock = threading.Lock()

    @classmethod
    def open(
        cls, state_dir: str, origin: str, *, headroom: int = DEFAULT_HEADROOM_SEC
    ) -> RestartWatermark:
        """Read the origin's mark (its ``floor``) and prove the file can be written, at start.

        Creates ``state_dir`` (mode 0700) when missing. Raises :class:`WatermarkError` with one
        line for a directory that cannot be used or a file that is not a watermark.
        """
        if type(headroom) is not int or headroom < 0:
            raise WatermarkError("state_dir_invalid", f"expected headroom >= 0, got {headroom!r}")
        try:
            os.makedirs(state_dir, mode=0o700, exist_ok=True)
        except OSError as error:
            raise WatermarkError(
                "state_dir_invalid",
                f"expected a usable --state-dir, got {state_dir!r} ({_why(error)})",
            ) from None
        if not os.path.isdir(state_dir):
            raise WatermarkError(
                "state_dir_invalid", f"expected --state-dir to be a directory, got {state_dir!r}"
            )
        path = watermark_path(state_dir, origin)
        watermark = cls(path, origin, None, headroom)
        try:
            with watermark._locked():
                floor = watermark._read()
                watermark.floor = floor
                watermark._reserved = floor if floor is not None else -1
                # Written now, so an unwritable file is found at start, not at the first request.
                watermark._write(watermark._reserved if floor is not None else 0)
        except OSError as error:
            raise WatermarkError(
                "state_dir_invalid", f"expected a writable restart watermark file, got "
                f"{str(path)!r} ({_why(error)})",
            ) from None
        return watermark

    def admit(self, created: int) -> None:
        """Make sure the durable mark covers ``created`` before the signature is accepted.

        Raises :class:`WatermarkError` (``watermark_unavailable``) when the reservation cannot
        be written: the caller then refuses the request (503), it never accepts unrecorded.
        """
        if created <= self._reserved:
            return
        with self._lock:
            if created <= self._reserved:
                return
            wanted = min(created + self.headroom, MAX_UNIX_TIME)
            try:
                with self._locked():
                    on_disk = self._read()
                    reserved = max(wanted, on_disk if on_disk is not None else -1)
                    self._write(reserved)
            except (OSError, WatermarkError) as error:
                detail = error.message if isinstance(error, WatermarkError) else _why(error)
                raise WatermarkError(
                    "watermark_unavailable",
                    f"expected to record created={created} in {str(self.path)!r}, got {detail}",
                ) from None
            self._reserved = reserved

    @property
    def reserved(self) -> int | None:
        """The mark durably written now (None before anything was accepted)."""
        return self._reserved if self._reserved >= 0 else None

    # ---- the file ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.path.with_suffix(".lock")
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            yield
        finally:
            os.close(descriptor)

    def _read(self) -> int | None:
        try:
            text = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            document = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            raise self._corrupt("not JSON") from None
        if not isinstance(document, dict) or document.get("format") != _FORMAT:
            raise self._corrupt(f"expected a format {_FORMAT} object")
        if document.get("origin") != self.origin:
            raise self._corrupt(f"expected origin {self.origin!r}, got {document.get('origin')!r}")
        reserved = document.get("reserved_created")
        if type(reserved) is not int or not 0 <= reserved <= MAX_UNIX_TIME:
            raise self._corrupt(f"expected reserved_created as Unix seconds, got {reserved!r}")
        return reserved if reserved > 0 else None

    def _write(self, reserved: int) -> None:
        document = {"format": _FORMAT, "origin": self.origin, "reserved_created": max(reserved, 0)}
        temporary = self.path.with_suffix(".tmp")
        data = json.dumps(document, separators=(",", ":")).encode("ascii") + b"\n"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(descriptor, data)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, self.path)
        directory = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a crash
        finally:
            os.close(directory)

    def _corrupt(self, what: str) -> WatermarkError:
        return WatermarkError(
            "watermark_corrupt",
            f"restart watermark {str(self.path)!r}: {what} (delete it only if no request "
            "accepted under this origin can still be inside its validity window)",
        )


def _why(error: OSError) -> str:
    return error.strerror or type(error).__name__
