"""Live chain checks, one pytest test per check (parametrised by ``chain_plugin.py``).

Run through ``erc8128 conformance --target URL --chain-rpc RPC_URL``; not collected by the
project's own tests.
"""

import pytest

from erc8128_conformance.chain_plugin import CHAIN_RUN_KEY, ChainLiveRun

__all__ = ["chain_run", "test_chain_live"]


@pytest.fixture(scope="session")
def chain_run(pytestconfig: pytest.Config) -> ChainLiveRun:
    """The run ``chain_plugin.py`` put in the stash, its chain prepared once for the session."""
    run = pytestconfig.stash[CHAIN_RUN_KEY]
    run.set_up()
    return run


def test_chain_live(chain_check: str, chain_run: ChainLiveRun) -> None:
    chain_run.check(chain_check)
