"""The README stays true: its two set-up commands and its tour run as written."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_readme_opens_with_exactly_two_setup_commands() -> None:
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None
    commands = [line for line in first_block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert [command.split("#")[0].strip() for command in commands] == [
        "./scripts/demo",
        "./scripts/test",
    ]
    demo = (ROOT / "scripts/demo").read_text()
    assert 'exec "$venv_dir/bin/erc8128" demo' in demo
    ci = (ROOT / ".ci/run").read_text()
    assert "./scripts/test" in ci


def test_readme_tour_runs() -> None:
    tour = re.search(r"```python\n(.*?)```", README, re.S)
    assert tour is not None
    result = subprocess.run([sys.executable, "-c", tour.group(1)], capture_output=True,
                            text=True, check=True)
    assert "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf True False" in result.stdout
    assert result.stdout.startswith('"@scheme": https\n')


def test_no_file_names_a_path_of_a_build_machine() -> None:
    # The project names files by their path inside the repository (the developers' guide).
    forbidden = re.compile("/" + "work/|" + r"\.\./" + "shared/")
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split("\n")
    text_files = [name for name in listed
                  if name.endswith((".md", ".py", ".json", ".toml", ".mjs", ".js", ".html"))
                  and "node_modules" not in name]
    assert len(text_files) > 100
    offenders = [name for name in text_files
                 if forbidden.search((ROOT / name).read_text(errors="replace"))]
    assert offenders == []
