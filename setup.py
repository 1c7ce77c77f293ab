"""Build hook, beside pyproject.toml (which holds everything else): a built wheel carries
SPEC.md inside the erc8128 package, so that ``erc8128 serve`` from an installed wheel answers
``GET /spec`` with it (``erc8128.server.spec_page.spec_text``). SPEC.md stays at the root of
the repository, where readers look for it; an editable install reads it there."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithSpec(build_py):
    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            shutil.copyfile(ROOT / "SPEC.md", Path(self.build_lib) / "erc8128" / "SPEC.md")


setup(cmdclass={"build_py": BuildPyWithSpec})
