"""The pytest side of the live chain checks (``erc8128 conformance --target URL --chain-rpc URL``).

:class:`ChainLivePlugin` is handed to ``pytest.main`` beside the suite's own plugin, shares its
list of outcomes (so the chain cases appear in the same table, row ``live_chain``) and
parametrises ``suite_chain.py`` with one test per check of :data:`CHAIN_CHECKS`, ids
``live/draft/<check>``. The dev chain is prepared once per run, before the first check (the
session fixture ``chain_run`` of ``suite_chain.py``); when that fails every chain case is
*errored* with the reason.
"""

from typing import Final, Literal, NoReturn

import pytest

from erc8128.errors import Erc8128Error
from erc8128_conformance.chain_live import (
    CHAIN_CHECKS,
    DEV_FUNDER_KEY,
    ChainAccounts,
    set_up_chain,
)
from erc8128_conformance.live import LiveTarget
from erc8128_conformance.report import CaseOutcome

__all__ = ["CHAIN_PROFILE", "CHAIN_ROW", "CHAIN_RUN_KEY", "ChainLivePlugin", "ChainLiveRun"]

# The chain checks use `mode="eoa"` and `tag="erc8128"`: draft-profile signatures (the February
# text has no mode, SPEC.md D8).
CHAIN_PROFILE: Final = "draft"
CHAIN_ROW: Final = "live_chain"


class ChainLiveRun:
    """Session state: the prepared chain (or why it could not be prepared) and the outcomes."""

    def __init__(
        self, target: LiveTarget, rpc_url: str, funder_key: bytes, outcomes: list[CaseOutcome]
    ) -> None:
        self.target = target
        self.rpc_url = rpc_url
        self.funder_key = funder_key
        self.outcomes = outcomes
        self.chain: ChainAccounts | None = None
        self.setup_failure: str | None = None

    def set_up(self) -> None:
        """Prepare the chain (once per run: ``suite_chain.py``'s session fixture calls it)."""
        try:
            self.chain = set_up_chain(self.rpc_url, self.funder_key)
        except (Erc8128Error, OSError) as error:
            self.setup_failure = f"cannot prepare the chain at {self.rpc_url}: {error}"

    def _end(self, case_id: str, outcome: Literal["failed", "errored"], message: str) -> NoReturn:
        self.outcomes.append(CaseOutcome(case_id, CHAIN_ROW, outcome, message))
        pytest.fail(message, pytrace=False)

    def check(self, name: str) -> None:
        case_id = f"live/{CHAIN_PROFILE}/{name}"
        if self.chain is None:
            self._end(case_id, "errored", f"{case_id}: {self.setup_failure}")
        try:
            problems = CHAIN_CHECKS[name](self.target, self.chain)
        except (Erc8128Error, OSError) as error:
            self._end(case_id, "errored", f"{case_id}: {type(error).__name__}: {error}")
        if problems:
            message = (
                f"{case_id} ({self.target.url}, chain {self.rpc_url}):\n" + "\n".join(problems)
            )
            self._end(case_id, "failed", message)
        self.outcomes.append(CaseOutcome(case_id, CHAIN_ROW, "passed"))


CHAIN_RUN_KEY: Final = pytest.StashKey[ChainLiveRun]()


class ChainLivePlugin:
    """Registered with ``pytest.main(plugins=[...])`` by the runner when ``--chain-rpc`` is set."""

    def __init__(
        self,
        target: str,
        path: str,
        rpc_url: str,
        outcomes: list[CaseOutcome],
        *,
        funder_key: bytes = DEV_FUNDER_KEY,
        timeout: float = 10.0,
    ) -> None:
        self.target = LiveTarget(target, path, CHAIN_PROFILE, timeout=timeout)
        self.rpc_url = rpc_url
        self.funder_key = funder_key
        self.outcomes = outcomes

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if "chain_check" in metafunc.fixturenames:
            names = list(CHAIN_CHECKS)
            metafunc.parametrize(
                "chain_check", names, ids=[f"live/{CHAIN_PROFILE}/{name}" for name in names]
            )

    def pytest_configure(self, config: pytest.Config) -> None:
        # The session state goes in the config's stash, where suite_chain.py's fixture finds it
        # (a fixture defined as a plugin instance method is deprecated in pytest 9).
        config.stash[CHAIN_RUN_KEY] = ChainLiveRun(
            self.target, self.rpc_url, self.funder_key, self.outcomes
        )
