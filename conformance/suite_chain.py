"""Live chain checks, one pytest test per check (parametrised by ``chain_plugin.py``).

Run through ``erc8128 conformance --target URL --chain-rpc RPC_URL``; not collected by the
project's own tests.
"""

from __future__ import annotations

from erc8128_conformance.chain_plugin import ChainLiveRun

__all__ = ["test_chain_live"]


def test_chain_live(chain_check: str, chain_run: ChainLiveRun) -> None:
    chain_run.check(chain_check)
