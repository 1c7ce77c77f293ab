"""The trusted origin: the scheme and authority a verifier puts in every effective target URI.

RFC 9421 §2.2.3/§2.2.4 derive ``@authority`` and ``@scheme`` from the target URI, and a server
must not take them from client headers alone (RFC 9110 §7.1; SPEC.md §4, "Inputs"). Every
verifier in this package (``erc8128 serve``, :class:`~erc8128.integrations.gate.Gate`,
``erc8128 inspect``) is configured with a public URL such as ``https://api.example`` and parses
it here, once, strictly: a path, a query or a fragment is an error, never silently dropped.
"""

from dataclasses import dataclass

from erc8128.errors import Erc8128Error
from erc8128.http.message import authority, path, query, scheme


class InvalidOrigin(Erc8128Error):
    """A public URL that is not an origin (reason ``public_url_invalid``)."""

    def __init__(self, message: str) -> None:
        super().__init__("public_url_invalid", message)


@dataclass(frozen=True)
class Origin:
    """``scheme://authority``, normalised as RFC 9421 derives them (lowercase scheme and host,
    default port omitted)."""

    scheme: str
    authority: str

    def __str__(self) -> str:
        return f"{self.scheme}://{self.authority}"

    def target_uri(self, request_target: str) -> str:
        """The effective target URI of an origin-form request target (``/path?query``)."""
        return f"{self}{request_target}"


def parse_origin(public_url: str) -> Origin:
    """The origin ``public_url`` names; :class:`InvalidOrigin` unless it is exactly
    ``http(s)://authority`` with at most a trailing ``/``."""
    if not isinstance(public_url, str):
        raise InvalidOrigin(f"expected the public URL as str, got {type(public_url).__name__}")
    if "#" in public_url:
        raise InvalidOrigin(f"expected an origin without a fragment, got {public_url!r}")
    try:
        origin = Origin(scheme(public_url), authority(public_url))
        origin_path, origin_query = path(public_url), query(public_url)
    except Erc8128Error as error:
        raise InvalidOrigin(
            f"expected scheme://authority, got {public_url!r}: {error.message}"
        ) from None
    if origin_path != "/" or origin_query is not None:
        raise InvalidOrigin(f"expected an origin without path or query, got {public_url!r}")
    return origin
