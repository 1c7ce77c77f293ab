"""A request as a Python server gateway hands it to the application: an ASGI HTTP connection
scope, or a WSGI environ (PEP 3333). What the signature needs is read from them here, once, for
the middleware that verifies in front of an app (``erc8128.integrations``) and for the inspector
that reads a printed scope or environ (``erc8128.http.paste``): the request-target as the client
sent it, and the header fields.

ASGI keeps the target as sent: ``raw_path`` (percent-encoding intact) and ``query_string``, and
the header lines in order, as byte pairs. WSGI hands the app a decoded ``PATH_INFO``; the raw
target is taken from ``RAW_URI`` / ``REQUEST_URI`` (set by werkzeug, gunicorn, uWSGI) and only
without them re-encoded from ``PATH_INFO``, which cannot restore a client's own percent-encoding
choices. WSGI's environ loses header order; the signature base does not depend on it (RFC 9421
§2.1 combines repeated lines in order, which servers keep).
"""

import functools
import urllib.parse
from collections.abc import Mapping
from typing import Any, Final

# RFC 3986 §3.3: pchar = unreserved / pct-encoded / sub-delims / ":" / "@"; plus "/".
_PATH_SAFE: Final = "/:@!$&'()*+,;=-._~"
_CONTENT_KEYS: Final = frozenset(("CONTENT_TYPE", "CONTENT_LENGTH"))


def asgi_request_target(scope: Mapping[str, Any]) -> str:
    """The request-target as received: ``raw_path`` (else the re-encoded ``path``) + query."""
    raw_path = scope.get("raw_path")
    if isinstance(raw_path, bytes) and raw_path.startswith(b"/"):
        target = raw_path.decode("latin-1")
    else:
        target = urllib.parse.quote(str(scope.get("path", "/")).encode("utf-8"), safe=_PATH_SAFE)
    query_string = scope.get("query_string", b"")
    if query_string:
        target += "?" + bytes(query_string).decode("latin-1")
    return target


def wsgi_request_target(environ: Mapping[str, Any]) -> str:
    """The request-target as received: ``RAW_URI`` / ``REQUEST_URI`` when the server gives it."""
    for key in ("RAW_URI", "REQUEST_URI"):
        raw = environ.get(key)
        if isinstance(raw, str) and raw.startswith("/"):
            return raw
    # PEP 3333: environ strings are "bytes-as-latin-1"; re-encode the decoded path.
    script_path = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
    target = urllib.parse.quote(script_path.encode("latin-1"), safe=_PATH_SAFE) or "/"
    query_string = environ.get("QUERY_STRING")
    if query_string:
        target += "?" + str(query_string)
    return target


@functools.lru_cache(maxsize=256)
def _header_name(cgi_key: str) -> str:
    """``SIGNATURE_INPUT`` → ``Signature-Input`` (RFC 3875 §4.1.18 meta-variable names)."""
    return "-".join(part.capitalize() for part in cgi_key.split("_"))


def wsgi_header_columns(environ: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """The request's header fields from the environ (``HTTP_*``, ``CONTENT_TYPE``,
    ``CONTENT_LENGTH``) as two columns, names and values (what ``Gate.check_columns`` takes);
    repeated lines arrive already combined with ", "."""
    names: list[str] = []
    values: list[str] = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            if isinstance(value, str):
                names.append(_header_name(key[5:]))
                values.append(value)
        elif key in _CONTENT_KEYS and value and isinstance(value, str):
            names.append(_header_name(key))
            values.append(value)
    return names, values
