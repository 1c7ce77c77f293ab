"""Run the suite programmatically: ``pytest.main`` over the suite modules with the plugin."""

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import pytest

from erc8128_conformance.chain_live import DEV_FUNDER_KEY
from erc8128_conformance.chain_plugin import ChainLivePlugin
from erc8128_conformance.plugin import ConformancePlugin, SuiteOptions

__all__ = ["SUITE_DIR", "run"]

SUITE_DIR: Final = Path(__file__).resolve().parent


def run(options: SuiteOptions, *, junit_xml: str | None = None,
        pytest_args: Sequence[str] = ()) -> int:
    """Run the selected parts of the suite; 0 when everything conforms (or fails as listed)."""
    modules = []
    if options.adapter is not None:
        modules.append(str(SUITE_DIR / "suite_vectors.py"))
    if options.target is not None:
        modules.append(str(SUITE_DIR / "suite_live.py"))
    plugin = ConformancePlugin(options)
    plugins: list[object] = [plugin]
    if options.target is not None and options.chain_rpc is not None:
        modules.append(str(SUITE_DIR / "suite_chain.py"))
        plugins.append(ChainLivePlugin(
            options.target, options.path, options.chain_rpc, plugin.outcomes,
            funder_key=options.chain_funder_key or DEV_FUNDER_KEY, timeout=options.timeout,
        ))
    args = [
        *modules,
        # The suite's own configuration only: no ini file, conftest or cache of the caller.
        "-c", os.devnull,
        "--rootdir", str(SUITE_DIR),
        "--noconftest",
        "-p", "no:cacheprovider",
        "-q",
        "-rfE",
        "--tb=short",
        *([f"--junit-xml={junit_xml}"] if junit_xml else []),
        *pytest_args,
    ]
    status = int(pytest.main(args, plugins=plugins))
    if status == int(pytest.ExitCode.NO_TESTS_COLLECTED):
        print("erc8128 conformance: no case matched the selection (--ops / --profile)")
    return status
