"""Live-server checks, one pytest test per (profile, check) (parametrised by the plugin).

Run through ``erc8128 conformance --target URL``; not collected by the project's own tests.
"""

from erc8128_conformance.plugin import LiveRun, live_run

__all__ = ["live_run", "test_live"]


def test_live(live_check: tuple[str, str], live_run: LiveRun) -> None:
    profile, name = live_check
    live_run.check(profile, name)
