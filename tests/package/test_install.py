"""The package installs with no runtime dependencies and imports only the standard library."""

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

import erc8128
from erc8128.cli import main
from tests.support.import_probe import top_level_modules_loaded_by

ROOT = Path(__file__).resolve().parents[2]


def test_no_runtime_dependencies_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == []


def test_import_loads_only_stdlib_and_erc8128() -> None:
    loaded = top_level_modules_loaded_by("import erc8128, erc8128.cli")
    foreign = {
        name
        for name in loaded
        if name not in sys.stdlib_module_names and name != "erc8128" and not name.startswith("_")
    }
    assert foreign == set(), f"non-stdlib modules imported at runtime: {sorted(foreign)}"


def test_version_matches_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert erc8128.__version__ == project["version"]


def test_cli_version(capsys: object) -> None:
    try:
        main(["--version"])
    except SystemExit as exit_:
        assert exit_.code == 0
    else:  # pragma: no cover - argparse always exits on --version
        raise AssertionError("--version did not exit")


def test_every_package_folder_is_listed_in_pyproject() -> None:
    listed = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )
    found = {
        ".".join(init.parent.relative_to(ROOT / "reference").parts)
        for init in (ROOT / "reference").rglob("__init__.py")
    }
    found |= {"erc8128_conformance", "erc8128_vectors"}
    found |= {
        "erc8128_conformance." + ".".join(init.parent.relative_to(ROOT / "conformance").parts)
        for init in (ROOT / "conformance").rglob("__init__.py")
        if init.parent != ROOT / "conformance" and "node_modules" not in init.parts
    }
    assert found == listed


@pytest.mark.slow
def test_a_built_wheel_carries_spec_md_and_serves_it(tmp_path: Path) -> None:
    """setup.py copies SPEC.md into the wheel's erc8128 package, where spec_text() finds it
    (GET /spec) once the wheel is installed away from the source tree."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w",
                    str(tmp_path / "dist")], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("erc8128-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("erc8128/SPEC.md") == (ROOT / "SPEC.md").read_bytes()
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(tmp_path / "site"), str(wheel)], check=True, capture_output=True)
    probe = ("import erc8128, pathlib, sys; from erc8128.server.spec_page import spec_text; "
             "print(pathlib.Path(erc8128.__file__).parent); sys.stdout.write(spec_text() or '')")
    ran = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, "
                          f"{str(tmp_path / 'site')!r}); {probe}"],
                         check=True, capture_output=True, text=True, cwd=tmp_path)
    package, _, served = ran.stdout.partition("\n")
    assert Path(package) == tmp_path / "site" / "erc8128"
    assert served == (ROOT / "SPEC.md").read_text(encoding="utf-8")
