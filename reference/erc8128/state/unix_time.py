"""The time bound every piece of verifier state shares.

Replay marks live until ``expires + skew`` and early-invalidation entries until a signer's
windows can no longer open; both are Unix seconds that a store keeps as integers. Whatever a
caller passes, no state keeps a time past the last second of year 9999 (the largest four-digit
year of RFC 3339 timestamps): a larger one is an error, never a promise the store cannot keep.
"""

from typing import Final

# 9999-12-31T23:59:59Z
MAX_UNIX_TIME: Final = 253_402_300_799
