"""Compatibility: the replay stores live in :mod:`erc8128.state.nonces`; this name, and its
submodules (``erc8128.nonces.memory`` ...), keep working for code written before the move."""

import sys

from erc8128.state.nonces import *  # noqa: F403
from erc8128.state.nonces import __all__ as __all__
from erc8128.state.nonces import base, memory, redis, sqlite

for _module in (base, memory, redis, sqlite):
    sys.modules[f"{__name__}.{_module.__name__.rpartition('.')[2]}"] = _module
