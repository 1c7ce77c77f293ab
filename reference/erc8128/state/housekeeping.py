"""Deleting expired state now and then, at the time the caller hands in.

The stores hold no clock (issue 20: one clock per verification): every operation that may
delete what has expired receives ``now`` from its caller, the verifier or the endpoint that
writes, and a :class:`Periodic` says whether the housekeeping is due at that ``now``.
"""


class Periodic:
    """Work due at most once every ``interval`` seconds of the callers' ``now``.

    The first call starts the count (nothing is due then); after that :meth:`due` answers
    ``True`` once ``now`` reaches the end of the interval, and starts the next interval there.
    """

    interval: float

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._next: float | None = None

    def due(self, now: float) -> bool:
        """Whether the work is due at ``now``; if so, the next interval starts at ``now``."""
        if self._next is None:
            self._next = now + self.interval
            return False
        if now < self._next:
            return False
        self._next = now + self.interval
        return True
