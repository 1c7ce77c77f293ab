"""The error every client operation raises: a transport failure or a server's refusal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from erc8128.errors import Erc8128Error

if TYPE_CHECKING:
    from erc8128.client.transport import Response

__all__ = ["ClientError"]


class ClientError(Erc8128Error):
    """A request the client could not complete: transport failure, or a server rejection.

    For a rejection, ``reason`` is the server's stable code (the problem document's ``reason``,
    else the ``WWW-Authenticate`` ``error``, else ``http_<status>``); ``status`` is the HTTP
    status (0 when no response arrived) and ``response`` the response itself.
    """

    status: int
    response: Response | None

    def __init__(
        self, reason: str, message: str, *, status: int = 0, response: Response | None = None
    ) -> None:
        super().__init__(reason, message)
        self.status = status
        self.response = response
